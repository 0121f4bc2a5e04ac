// `diffscope <command> ...`: dispatches to one file per command. Errors print one line and exit 1.
import { askCommand } from './commands/ask.ts';
import { importCommand } from './commands/import.ts';
import { devCommand } from './commands/dev.ts';
import { demoCommand } from './commands/demo.ts';
import { adaptersCommand } from './commands/adapters.ts';
import { serveCommand } from './commands/serve.ts';
import { conversationsCommand, modelsCommand } from './commands/catalog.ts';
import { evalCommand } from './commands/eval.ts';
import { exportCommand } from './commands/export.ts';

type Command = (args: string[]) => Promise<void>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  import: { run: importCommand, help: 'import model DIR [--precision fp32|fp16] [--json] | import diff|dit PATH --model ID | import paper DIR --model ID' },
  models: { run: modelsCommand, help: 'models [--json]' },
  conversations: { run: conversationsCommand, help: 'conversations [--json]' },
  ask: { run: askCommand, help: 'ask --model ID_OR_DIR [--diff PATH[#INDEX][:SCALE]] [--dit PATH[:SCALE]] [--rank K] [--lora FILE[:SCALE]]... [--max-tokens N] [--temperature T] [--seed S] [--logprobs K] [--json] "question" | --messages JSON_OR_FILE' },
  serve: { run: serveCommand, help: 'serve [--port N] [--host 127.0.0.1] [--open]   (browser mode)' },
  demo: { run: demoCommand, help: 'demo [--n N]   (ask N held-out diffs of the embedded demo what they were trained on, without and with the DIT adapter)' },
  adapters: { run: adaptersCommand, help: 'adapters [--split test] [--kind diff|dit] [--model ID] [--json] | adapters inspect PATH[#INDEX] [--json] | adapters export --diff PATH[#INDEX][:SCALE] --dit PATH[:SCALE] --out DIR' },
  eval: {
    run: evalCommand,
    help: 'eval --model ID --dit ID [--split test] [--tag T] [--experiment E] [--diffs ID,...] [--limit N] [--methods dit,base,trigger,20q,20q-trigger,custom] [--custom "question"] [--judge lexical|URL --judge-model NAME|local:MODEL] [--batch N] [--max-tokens N] [--seed S] [--engine local|openai:URL [--remote-model NAME] [--lora-dir DIR]] [--out FILE.csv|json|md|html] [--json] | eval --demo [--json] | eval --resume RUN_ID | eval --list',
  },
  export: { run: exportCommand, help: 'export CONVERSATION_ID --format md|json|html|jsonl [--out FILE] | export --all [--out FILE.jsonl] | export --eval RUN_ID --format csv|json|md|html [--out FILE]' },
  dev: { run: devCommand, help: 'dev make-model --arch qwen3|llama|gemma3 --preset tiny|0.6b --out DIR [--seed N]' },
};

function usage(): string {
  return ['usage: diffscope <command> [options]', '', ...Object.values(COMMANDS).map((c) => `  diffscope ${c.help}`)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new Error(`unknown command "${name}"\n${usage()}`);
  await command.run(rest);
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: Error) => {
    process.stderr.write(`diffscope: ${err.message}\n`);
    if (process.env.DIFFSCOPE_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
