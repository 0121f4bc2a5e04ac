// `diffscope <command> ...`: the commands and their options are declared in program.ts. Errors
// print one line (`diffscope: ...`) and exit 1; DIFFSCOPE_DEBUG=1 adds the stack.
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: Error) => {
    if (err instanceof CommanderError) {
      // commander has printed its message (or the help) already
      if (err.code === 'commander.unknownCommand') process.stderr.write('see `diffscope --help` for the commands\n');
      process.exit(err.exitCode);
    }
    process.stderr.write(`diffscope: ${err.message}\n`);
    if (process.env.DIFFSCOPE_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
