// The name a user knows a checkpoint folder by. Most folders are named for their model
// ("Qwen3-4B"); a Hugging Face hub cache snapshot is not: its folder is a commit hash under
// models--<org>--<name>/snapshots/, so it is named for its repository instead.
import { basename, dirname } from 'node:path';

const COMMIT = /^[0-9a-f]{40}$/;
const HUB_REPO = /^models--(.+)$/;

export function modelFolderName(dir: string): string {
  const name = basename(dir);
  const snapshots = dirname(dir);
  const repo = HUB_REPO.exec(basename(dirname(snapshots)));
  // repository names may not contain "--", so it separates the owner from the name
  if (COMMIT.test(name) && basename(snapshots) === 'snapshots' && repo) return repo[1]!.split('--').join('/');
  return name;
}
