// Issue 12 against a real `diffscope serve`: requests from other pages are refused whatever cookie
// they ride on (item 1), malformed requests get a 400 and a one-line reason with no stack trace in
// the log (item 6), a client that trickles its headers is dropped (item 6), and hostile adapters
// being imported never hold up other requests (items 2-3: a probe answers within 1 s throughout).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { JobView, ModelView, Settings } from '../../src/shared/api.ts';
import { startServe, type Served } from '../helpers/serve.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { linkToDevZero, makeFifo, writeDeflateBomb, writePeftFolder, writeShard } from '../helpers/hostile-files.ts';
import { pickleValue, writeTorchZip, type Encodable } from '../helpers/torch-writer.ts';
import { rmSync } from 'node:fs';

describe('diffscope serve against hostile pages, requests and files', () => {
  let home: string;
  let served: Served;
  let cookie: string;

  before(async () => {
    home = tmpDir('serve-hostile');
    served = await startServe(home, { DIFFSCOPE_DEMO_DIR: join(home, 'no-demo-here') });
    const res = await fetch(served.url, { redirect: 'manual' });
    cookie = res.headers.get('set-cookie')!.split(';')[0];
  });
  after(async () => {
    await served?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${served.origin}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body });
  const theme = async () => (await served.call<Settings>('settings:get')).theme;

  it('item 1: refuses calls from another page riding on the cookie (Origin, Sec-Fetch-Site, text/plain), and the API takes no ?token=', async () => {
    const before = await theme();
    const change = JSON.stringify({ args: [{ theme: before === 'dark' ? 'light' : 'dark' }] });
    const otherPort = `http://127.0.0.1:${served.child.pid! % 50000 + 1024}`;
    for (const [headers, status] of [
      [{ 'content-type': 'text/plain' }, 415], // what a no-cors form or fetch can send
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 415],
      [{ origin: otherPort }, 403],
      [{ origin: 'http://localhost:1' }, 403],
      [{ origin: 'null' }, 403],
      [{ 'sec-fetch-site': 'same-site' }, 403],
      [{ 'sec-fetch-site': 'cross-site', origin: served.origin }, 403],
    ] as [Record<string, string>, number][]) {
      const res = await post('/api/settings:set', change, headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.match(((await res.json()) as { error: string }).error, /refused|may not call|application\/json/);
    }
    assert.equal(await theme(), before, 'nothing changed');
    const judge = await post('/api/grades:setJudge', JSON.stringify({ args: [{ kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }] }), { origin: otherPort });
    assert.equal(judge.status, 403);
    const chat = await post('/v1/chat/completions', JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), { 'content-type': 'text/plain' });
    assert.equal(chat.status, 415);
    // the page itself (same origin) and tools without a browser (no Origin) still work
    assert.equal((await post('/api/app:info', '{"args":[]}', { origin: served.origin, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal((await post('/api/app:info', '{"args":[]}')).status, 200);
    // the query token opens the page once; the API never takes it
    const viaQuery = await fetch(`${served.origin}/api/app:info?token=${encodeURIComponent(served.token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"args":[]}' });
    assert.equal(viaQuery.status, 401);
    assert.equal((await fetch(`${served.origin}/v1/models?token=${encodeURIComponent(served.token)}`)).status, 401);
  });

  it('item 6: malformed requests get a 400 and a one-line reason, and no stack trace reaches the log', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/app:info', 'null', /request body must be a JSON object/],
      ['/api/app:info', '[1, 2]', /request body must be a JSON object/],
      ['/api/app:info', '{"args": 5}', /args must be an array/],
      ['/api/settings:set', '{"args": [{"__proto__": {"theme": "dark"}}]}', /patch: unknown field "__proto__"/],
      ['/api/settings:set', '{"args": [{"constructor": 1}]}', /patch: unknown field "constructor"/],
      ['/api/%E0%A4%A', '{"args": []}', /bad percent-encoding/],
      ['/v1/chat/completions', '{"model": "m", "messages": [null]}', /messages\[0\] needs a role and text content/],
      ['/v1/chat/completions', '{"model": "m", "messages": [{"role": "user", "content": [null]}]}', /messages\[0\]\.content\[0\] must be an object/],
      ['/v1/chat/completions', '{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 7}]}]}', /content\[0\]\.text must be a string/],
      ['/api/app:info', '['.repeat(3_000_000) + ']'.repeat(3_000_000), /nests deeper than 64 levels/], // 6 MB
    ];
    for (const [path, body, reason] of cases) {
      const res = await post(path, body);
      const text = await res.text();
      assert.equal(res.status, 400, `${path} ${body.slice(0, 80)}: ${text}`);
      const message = path.startsWith('/v1/') ? (JSON.parse(text) as { error: { message: string } }).error.message : (JSON.parse(text) as { error: string }).error;
      assert.match(message, reason);
      assert.ok(!message.includes('\n'));
    }
    const page = await fetch(`${served.origin}/%E0%A4%A`, { headers: { cookie } });
    assert.equal(page.status, 400);
    assert.equal(await theme(), (await served.call<Settings>('settings:get')).theme);
    assert.doesNotMatch(served.stderr(), /\n\s+at /, 'no stack trace in the log');
  });

  it('item 6: a connection that trickles its headers is dropped within seconds, not held for minutes', async () => {
    const socket = connect(Number(new URL(served.origin).port), '127.0.0.1');
    socket.on('error', () => {}); // the server hangs up while we still write: that is the point
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET / HTTP/1.1\r\nHost: ${new URL(served.origin).host}\r\n`);
    let lines = 0;
    const drip = setInterval(() => socket.writable && (socket.write(`X-Slow-${lines++}: 1\r\n`)), 1000);
    const closedAfterLines = await new Promise<number>((resolve) => socket.once('close', () => resolve(lines)));
    clearInterval(drip);
    assert.ok(closedAfterLines < 30, `held for ${closedAfterLines} one-second header lines`);
  });

  it('stays responsive (a probe answers within 1 s) while hostile adapters are imported, each refused in one line', async () => {
    const modelId = (await served.call<ModelView[]>('models:list'))[0].id;
    const dir = tmpDir('serve-hostile-files');
    const big = 6_400_000; // a 51 MB DIT-style pair whose last value is NaN
    const values = new Float32Array(big).fill(0.01);
    values[big - 1] = NaN;
    const bytes = new Uint8Array(values.buffer);
    const pair: Encodable = { tuple: [{ tensor: true, storage: { key: '0', type: 'FloatStorage', numel: big }, offset: 0, shape: [64, big / 64] }, { tensor: true, storage: { key: '1', type: 'FloatStorage', numel: big }, offset: 0, shape: [big / 64, 64] }] };
    const nan = join(dir, 'nan-dit.pt');
    writeTorchZip(nan, pickleValue(new Map([['model.layers.0.self_attn.q_proj', pair]])), [['0', bytes], ['1', bytes]]);
    const fifoPeft = writePeftFolder(join(dir, 'fifo-peft'));
    rmSync(join(fifoPeft, 'adapter_config.json'));
    makeFifo(join(fifoPeft, 'adapter_config.json'));
    const zeroPeft = writePeftFolder(join(dir, 'zero-peft'));
    rmSync(join(zeroPeft, 'adapter_config.json'));
    linkToDevZero(join(zeroPeft, 'adapter_config.json'));
    const hostile: [string, RegExp][] = [
      [writePeftFolder(join(dir, 'regex-peft'), { config: { rank_pattern: { '(.*.*)*z': 4 } } }), /rank_pattern key "\(\.\*\.\*\)\*z" is not a supported pattern/],
      [writeDeflateBomb(join(dir, 'bomb.pt'), 80 << 20), /inflates to 83886080 bytes/],
      [nan, /holds NaN at element/],
      [fifoPeft, /not a regular file \(a named pipe\)/],
      [zeroPeft, /not a regular file \(a device\)/],
      [`${writeShard(join(dir, 'weight-diffs', 'w.pt'), 5)}#999`, /diff #999|999/],
    ];
    const jobs = await Promise.all(hostile.map(([path]) => served.call<JobView>('adapters:import', path, modelId)));
    const latencies: number[] = [];
    let finished: JobView[] = [];
    while (finished.length < jobs.length) {
      const started = performance.now();
      await served.call('app:info');
      latencies.push(performance.now() - started);
      const all = await served.call<JobView[]>('jobs:list');
      finished = all.filter((j) => jobs.some((x) => x.id === j.id) && j.status !== 'running');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const [i, [path, reason]] of hostile.entries()) {
      const job = finished.find((j) => j.id === jobs[i].id)!;
      assert.equal(job.status, 'failed', `${path} was imported`);
      assert.match(job.error!, reason);
      assert.ok(job.error!.includes(path.replace(/#\d+$/, '')), `${job.error} names ${path}`);
    }
    console.log(`# ${latencies.length} probes during ${jobs.length} hostile imports, slowest ${Math.max(...latencies).toFixed(0)} ms; ${finished.map((j) => j.error).join(' | ').slice(0, 600)}`);
    assert.ok(latencies.length >= 3, `${latencies.length} probes`);
    assert.ok(Math.max(...latencies) < 1000, `slowest probe ${Math.max(...latencies).toFixed(0)} ms`);
    assert.doesNotMatch(served.stderr(), /\n\s+at /, 'no stack trace in the log');
  });
});
