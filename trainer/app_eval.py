# Stage 8: the demo evaluated by the app itself (`npx diffscope eval --demo`, TypeScript engine,
# not torch) on the exported files, in a fresh library folder. Its numbers are the ones the demo
# README reports (and test/integration/demo-readme.test.ts checks); the per-item CSV gives the DIT
# accuracy by topic category. Writes work/app-eval.json and work/app-eval-items.csv.
import csv
import json
import os
import shutil
import subprocess

from common import stage, DEMO, REPO, load_json, save_json, work


def run_app_eval():
    home = work('app-home')
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, DIFFSCOPE_HOME=home, DIFFSCOPE_DEMO_DIR=DEMO)
    items = work('app-eval-items.csv')
    cmd = ['node', os.path.join(REPO, 'bin', 'diffscope.js'), 'eval', '--demo', '--json', '--out', items]
    print('$ ' + ' '.join(cmd[1:]), flush=True)
    # stderr (the app's progress bar) passes through; stdout is the JSON
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True, text=True).stdout
    shutil.rmtree(home, ignore_errors=True)
    return json.loads(out.strip().splitlines()[-1]), items


def by_category(items_csv):
    category = {d['topic']: d['category'] for d in load_json(work('corpus.json'))['diffs']}
    hits = {}
    with open(items_csv, newline='') as f:
        for row in csv.DictReader(f):
            if row['method'] == 'dit':
                hits.setdefault(category[row['label']], []).append(row['exact'] in ('1', 'true', 'yes'))
    return {c: round(sum(h) / len(h), 4) for c, h in sorted(hits.items())}


def main():
    res, items = run_app_eval()
    res['dit_by_category'] = by_category(items)
    save_json(work('app-eval.json'), res)
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    with stage('app-eval'):
        main()
