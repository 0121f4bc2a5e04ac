// Engine host in a child process of its own: a native crash in onnxruntime ends this process,
// not the server or the app that forked it (they report it and start a new one).
import type { HostReply, HostRequest } from './protocol.ts';
import { serveEngine } from './serve-engine.ts';

if (!process.send) throw new Error('engine process: start me with child_process.fork');
serveEngine({
  onMessage: (fn) => process.on('message', (m) => fn(m as HostRequest)),
  send: (m: HostReply) => process.send!(m),
});

// The parent died without stopping us (e.g. SIGKILL): do not linger as an orphan.
process.on('disconnect', () => process.exit(0));
