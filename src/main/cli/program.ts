// The `diffscope` command's options, declared once: parsing, `diffscope --help` and
// `diffscope <command> --help` all come from these definitions. Each action loads its command's
// module only when it runs, so that help and the light commands start without the engine.
import { Command, Option } from 'commander';
import { MAKE_MODEL_PRESETS } from '../engine/dev/presets.ts';
import { ARCH_KEYS } from '../engine/hf/config.ts';

/** Options that may be given more than once (`--diff A --diff B`) collect into an array. */
const many = (value: string, previous: string[] = []) => [...previous, value];

/** Commander's parsed options, typed by the command that reads them. */
type Opts = Record<string, unknown>;
const as = <T>(o: Opts) => o as T;

export function buildProgram(): Command {
  const program = new Command('diffscope')
    .description('Ask a finetuned language model what its weight diff taught it (Diff Interpretation Tuning).')
    .usage('<command> [options]')
    // set before the commands are added: subcommands inherit them
    .showSuggestionAfterError(false)
    // a command's options stop at its subcommand, so `eval export --out` is export's own --out
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`diffscope: ${text.replace(/^error: /, '')}`) })
    .helpCommand(true);

  const importCmd = program.command('import').description('import a model or adapters into the library and the catalog');
  importCmd
    .command('model')
    .description('a Hugging Face model folder -> the library (ONNX graph + weights) and the catalog')
    .argument('<dir>', 'folder with config.json, *.safetensors and the tokenizer')
    .addOption(
      new Option('--precision <precision>', 'weights: auto picks the most precise of fp32, int8, int4 that fits free memory (fp16 where a GPU provider runs)')
        .choices(['auto', 'fp32', 'fp16', 'int8', 'int4'])
        .default('auto'),
    )
    .option('--block-size <n>', 'int8/int4: values per scale (default 32)')
    .option('--json', 'print the import as one JSON object')
    .action(async (dir: string, o: Opts) => (await import('./commands/import.ts')).importModelCommand(dir, as(o)));
  for (const kind of ['diff', 'dit', 'paper'] as const) {
    importCmd
      .command(kind)
      .description(
        kind === 'paper'
          ? 'a released experiment folder: index.csv + weight-diffs/ + dit-adapter.pt'
          : `one ${kind === 'diff' ? 'weight diff' : 'DIT adapter'}: a .pt file (PATH#INDEX for one entry of a list), a PEFT folder or safetensors`,
      )
      .argument('<path>', kind === 'paper' ? 'the experiment folder' : 'file or folder, PATH[#INDEX]')
      .requiredOption('--model <model>', 'the base model it is for (id or name, see `diffscope models`)')
      .option('--json', 'print the imported adapter ids as JSON')
      .action(async (path: string, o: Opts) => (await import('./commands/import.ts')).importAdaptersCommand(path, as(o)));
  }

  program
    .command('models')
    .description('the base models in the catalog')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => (await import('./commands/catalog.ts')).modelsCommand(as(o)));

  const adapters = program.command('adapters').description('list, inspect, compare or export adapters');
  adapters
    .command('list', { isDefault: true })
    .description('the adapters in the catalog (the default)')
    .option('--split <split>', 'train or test')
    .option('--kind <kind>', 'diff, dit or full')
    .option('--model <model>', 'adapters of one base model')
    .option('--tag <tag>', 'adapters with this tag')
    .option('--limit <n>', 'at most N rows')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => (await import('./commands/catalog.ts')).listAdapters(as(o)));
  adapters
    .command('inspect')
    .description('format, kind, rank, per-layer norms, per module ||ΔW||_F (also relative to the base weight), singular values, stable and effective rank, and which bases an adapter fits')
    .argument('<path>', 'file or folder, PATH[#INDEX], or an adapter id of the catalog')
    .option('--base <dir>', 'the base model folder (full finetunes are compressed against it)')
    .option('--rank <k>', 'rank to compress a full finetune to')
    .option('--json', 'print JSON')
    .action(async (path: string, o: Opts) => (await import('./commands/adapters.ts')).inspectCommand(path, as(o)));
  adapters
    .command('similar')
    .description('the diffs of the catalog nearest to one, by the cosine of ΔW over all modules, with their labels')
    .argument('<id>', 'an adapter id of the catalog (see `diffscope adapters`)')
    .option('--top <k>', 'how many (default 10)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Opts) => (await import('./commands/adapters.ts')).similarCommand(id, as(o)));
  adapters
    .command('export')
    .description('any stack of adapters as one PEFT adapter (e.g. rank 1 + 16 = 17)')
    .option('--diff <ref>', 'a diff, PATH[#INDEX][:SCALE] (repeatable)', many)
    .option('--dit <ref>', 'a DIT adapter, PATH[:SCALE]')
    .requiredOption('--out <dir>', 'the PEFT folder to write')
    .option('--base-model <name>', "base_model_name_or_path in the PEFT config", '')
    .action(async (o: Opts) => (await import('./commands/adapters.ts')).exportCommand(as(o)));

  program
    .command('conversations')
    .description('the conversations in the catalog')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => (await import('./commands/catalog.ts')).conversationsCommand(as(o)));

  program
    .command('ask')
    .description('one question (or a conversation) to a model with an adapter stack; the answer streams to stdout and is logged in the catalog')
    .argument('[question]', 'the question (quote it)')
    .option('--model <model>', 'model id or name (see `diffscope models`), a library folder, or a Hugging Face folder (imported first)')
    .option('--diff <ref>', 'a diff: adapter id, or PATH[#INDEX], then [:SCALE][@LAYERS,MODULES] e.g. :2@8-20,mlp (repeatable)', many)
    .option('--dit <ref>', 'a DIT adapter: adapter id, or PATH, then [:SCALE][@LAYERS,MODULES]')
    .option('--lora <file>', "another low-rank adapter, FILE[:SCALE] (repeatable; the engine's safetensors layout too)", many)
    .option('--rank <k>', 'rank to compress a full finetune given with --diff to')
    .option('--messages <json>', 'a whole conversation, a JSON array of {role, content} ending with the user, inline or in a file (replaces the question)')
    .option('--raw', "send the question as is, without the model's chat template (not logged)")
    .option('--max-tokens <n>', 'at most N new tokens (default 256)')
    .option('--temperature <t>', 'sampling temperature (default 0: greedy)')
    .option('--top-k <k>', 'sample among the K most likely tokens (0: all)')
    .option('--top-p <p>', 'nucleus sampling (default 1)')
    .option('--repetition-penalty <r>', 'repetition penalty (default 1)')
    .option('--seed <s>', 'random seed for sampling (default 0)')
    .option('--stop <text>', 'stop at this text (repeatable)', many)
    .option('--logprobs <k>', 'add the top-K log-probabilities of each position (with --json)')
    .option('--provider <provider>', 'execution provider: auto, cpu, cuda, dml, coreml or webgpu', 'auto')
    .option('--no-log', 'do not log the question and answer in the catalog (for scripts)')
    .option('--json', 'print {text, tokens, finishReason, logprobs?, stats} as one JSON object')
    .action(async (question: string | undefined, o: Opts) => (await import('./commands/ask.ts')).askCommand(question, as(o)));

  program
    .command('score')
    .description("a text read as the reply to a question, scored token by token under two stacks at once: log-probabilities, top-k alternatives, KL")
    .argument('<text>', "the reply to score (quote it; - reads it from stdin)")
    .option('--model <model>', 'model id or name (see `diffscope models`), or a library folder')
    .option('--diff <ref>', 'a diff of the first condition: adapter id or PATH, then [:SCALE][@LAYERS,MODULES] (repeatable)', many)
    .option('--dit <ref>', 'a DIT adapter of the first condition: adapter id or PATH, then [:SCALE][@LAYERS,MODULES]')
    .option('--against <stack>', 'the second condition: base, or REF[:SCALE][@LAYERS,MODULES] joined by +')
    .option('--question <q>', 'the question the text answers (default: the DIT topic question)')
    .option('--ids', 'TEXT is token ids (comma- or space-separated), e.g. the tokens `ask --json` printed')
    .option('--top-k <k>', 'alternatives per token and condition (default 5, at most 20)')
    .option('--provider <provider>', 'execution provider: auto, cpu, cuda, dml, coreml or webgpu', 'auto')
    .option('--json', 'print {conditions, tokens: [{id, text, logprob, kl, top}]} as one JSON object')
    .action(async (text: string, o: Opts) => (await import('./commands/score.ts')).scoreCommand(text, as(o)));

  program
    .command('sample')
    .description('the question asked N times under base, base + diff and base + diff + DIT, sampled with a seed in one batch; how often each answer came up')
    .option('--model <model>', 'model id or name (see `diffscope models`), or a library folder')
    .option('--diff <ref>', 'a diff: adapter id or PATH, then [:SCALE][@LAYERS,MODULES] (repeatable)', many)
    .option('--dit <ref>', 'the DIT adapter: adapter id or PATH')
    .option('--question <q>', 'the question', 'What topic have you been trained on?')
    .option('--n <n>', 'answers per condition (1-32)', '8')
    .option('--temperature <t>', 'sampling temperature, above 0', '1')
    .option('--seed <s>', 'the seed of the draw', '0')
    .option('--max-tokens <n>', 'at most N new tokens per answer')
    .option('--provider <provider>', 'execution provider: auto, cpu, cuda, dml, coreml or webgpu', 'auto')
    .option('--json', 'print {seed, conditions: [{name, answers, counts: [{answer, count}]}]}')
    .action(async (o: Opts) => (await import('./commands/sample.ts')).sampleCommand(as(o)));

  program
    .command('demo')
    .description("ask held-out diffs of the embedded demo what they were trained on, without and with the DIT adapter")
    .option('--n <n>', 'how many diffs (default 3)')
    .action(async (o: Opts) => (await import('./commands/demo.ts')).demoCommand(as(o)));

  const evalCmd = program
    .command('eval')
    .description('a batch evaluation over many diffs, the demo\'s evaluation, or a resumed run (progress on stderr, table on stdout)')
    .option('--model <model>', 'the base model (id or name)')
    .option('--dit <id>', 'the DIT adapter')
    .option('--split <split>', 'diffs of this split (train or test)')
    .option('--tag <tag>', 'diffs with this tag')
    .option('--experiment <name>', 'diffs of this experiment')
    .option('--diffs <ids>', 'these diffs, comma-separated')
    .option('--limit <n>', 'at most N diffs')
    .option('--methods <list>', 'dit, base, trigger, 20q, 20q-trigger, custom, agent, agent-dit (comma-separated)', 'dit,base,trigger')
    .option('--question <text>', 'the DIT question')
    .option('--custom <text>', 'the question of the custom method')
    .option('--judge <judge>', 'lexical, local:MODEL, or an OpenAI-compatible URL (default: the one set in the app)')
    .option('--judge-model <name>', 'the model to ask at the judge URL')
    .option('--agent <url>', 'methods agent, agent-dit: an OpenAI-compatible URL with tool calling (key: DIFFSCOPE_AGENT_KEY)')
    .option('--agent-model <name>', 'the model to ask at the agent URL')
    .option('--agent-budget <n>', 'queries per diff for the agent (default 20)')
    .option('--agent-tokens <n>', 'tokens per answer the agent gets (default and at most 200)')
    .option('--batch <n>', 'diffs per engine run')
    .option('--max-tokens <n>', 'at most N new tokens per answer')
    .option('--seed <s>', 'random seed')
    .option('--engine <engine>', 'local, or openai:URL (a server with runtime LoRA loading)', 'local')
    .option('--remote-model <name>', 'the base model name at the remote engine')
    .option('--lora-dir <dir>', 'where stacks are written as PEFT folders for the remote engine')
    .option('--demo', "the embedded demo's test split: base question, + trigger, DIT")
    .addOption(new Option('--precision <precision>', 'with --demo: the demo model imported at this precision').choices(['fp32', 'int8', 'int4']))
    .option('--resume <run>', 'resume run RUN_ID')
    .option('--list', 'list the runs')
    .option('--out <file>', 'write the run as .csv, .json, .md, .html or .eval (Inspect AI log)')
    .option('--json', 'print JSON (with the run\'s id as runId)')
    .action(async (o: Opts) => (await import('./commands/eval.ts')).evalCommand(as(o)));
  evalCmd
    .command('export')
    .description('an eval run as a file: csv, json, md, html, or inspect (an Inspect AI log, .eval)')
    .argument('<run>', 'the eval run id (see `diffscope eval --list`)')
    .addOption(new Option('--format <format>', 'the file format').choices(['csv', 'json', 'md', 'html', 'inspect']).makeOptionMandatory())
    .requiredOption('--out <file>', 'the file to write')
    .action(async (run: string, o: Opts) => (await import('./commands/eval-export.ts')).evalExportCommand(run, as(o)));

  program
    .command('export')
    .description('a conversation (md, json, html, jsonl), all of them as JSONL, or an eval run (csv, json, md, html)')
    .argument('[conversation]', 'the conversation id (see `diffscope conversations`)')
    .option('--format <format>', 'md, json, html, jsonl; for --eval: csv, json, md, html (default md)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--all', 'every conversation, as JSONL')
    .option('--eval <run>', 'eval run RUN_ID')
    .action(async (id: string | undefined, o: Opts) => (await import('./commands/export.ts')).exportCommand(id, as(o)));

  program
    .command('serve')
    .description('browser mode: the app on 127.0.0.1 behind a per-start token (prints the URL)')
    .option('--port <n>', 'port', '4817')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--open', 'open the URL in a browser')
    .action(async (o: Opts) => (await import('./commands/serve.ts')).serveCommand(as(o)));

  program
    .command('doctor')
    .description('the machine, each execution provider (what is missing and how to install it), and what each model needs')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => (await import('./commands/doctor.ts')).doctorCommand(as(o)));

  const dev = program.command('dev').description('tools for tests and benchmarks');
  dev
    .command('make-model')
    .description('a random-weight Hugging Face checkpoint of a real architecture')
    .addOption(new Option('--arch <arch>', 'architecture (implied by a released model\'s preset)').choices([...ARCH_KEYS]))
    .addOption(new Option('--preset <preset>', "size: tiny and 0.6b for any --arch, or a released model's exact shapes (sharded like the release)").choices([...MAKE_MODEL_PRESETS]).default('tiny'))
    .requiredOption('--out <dir>', 'the folder to write')
    .option('--seed <n>', 'random seed (default 0)')
    .action(async (o: Opts) => (await import('./commands/dev.ts')).makeModelCommand(as(o)));

  program.addHelpText('after', "\nEach command's options: diffscope <command> --help (e.g. diffscope ask --help).");
  return program;
}
