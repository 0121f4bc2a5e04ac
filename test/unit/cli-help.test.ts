// The CLI's help comes from its option definitions (program.ts): every command answers --help
// with all of its options, and README's command lines use only options the commands define.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/main/cli/program.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'diffscope.js');

/** Every runnable command with its path of names: ['ask'], ['import', 'model'], ... */
function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path, cmd }];
  return cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => leaves(c, [...path, c.name()]));
}

const longFlags = (cmd: Command) => cmd.options.map((o) => o.long!).filter(Boolean);

test('diffscope ask --help exits 0 and lists every option ask accepts', () => {
  const help = execFileSync(process.execPath, [BIN, 'ask', '--help'], { encoding: 'utf8' });
  const ask = buildProgram().commands.find((c) => c.name() === 'ask')!;
  for (const flag of longFlags(ask)) assert.ok(help.includes(flag), `ask --help does not list ${flag}`);
  for (const flag of ['--model', '--diff', '--dit', '--lora', '--messages', '--max-tokens', '--logprobs', '--no-log', '--json']) {
    assert.ok(help.includes(flag), `ask --help does not list ${flag}`);
  }
});

test("every command's help lists its options; the top-level help lists every command", () => {
  const program = buildProgram();
  const top = program.helpInformation();
  for (const c of program.commands) if (c.name() !== 'help') assert.ok(top.includes(c.name()), `diffscope --help omits ${c.name()}`);
  for (const { path, cmd } of leaves(program)) {
    const help = cmd.helpInformation();
    for (const flag of longFlags(cmd)) assert.ok(help.includes(flag), `diffscope ${path.join(' ')} --help omits ${flag}`);
  }
});

test("README's command lines use the commands' own option names", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The command line'), readme.indexOf('## Development'));
  const program = buildProgram();
  const byPath = new Map(leaves(program).map(({ path, cmd }) => [path.join(' '), cmd]));
  let checked = 0;
  for (const line of section.split('\n').filter((l) => l.startsWith('npx diffscope '))) {
    const usage = line.replace(/#.*$/, '');
    // "import diff|dit PATH": one line for several commands
    for (const alternative of usage.slice('npx diffscope '.length).split(/\s\|\s/)) {
      const words = alternative.trim().split(/\s+/);
      const names = words[0].split('|');
      const sub = words[1]?.split('|') ?? [];
      for (const name of names) {
        const paths = [...sub.map((s) => `${name} ${s}`), `${name} list`, name].filter((p) => byPath.has(p));
        if (name.startsWith('--') || paths.length === 0) continue;
        const cmd = byPath.get(paths[0])!;
        for (const flag of alternative.match(/--[a-z][a-z0-9-]*/g) ?? []) {
          assert.ok(longFlags(cmd).includes(flag), `README: "diffscope ${paths[0]}" has no option ${flag}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} README flags were checked`);
  for (const path of byPath.keys()) {
    const [name] = path.split(' ');
    assert.ok(section.includes(`diffscope ${name}`) || section.includes(`| ${name}`), `README's command line omits ${path}`);
  }
});
