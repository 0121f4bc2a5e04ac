// Issue 12, item 1, in a real Chromium: the user has Diffscope open (its cookie in the browser) and
// a judge with an API key configured. A page served from another port of 127.0.0.1, and one from
// localhost, then try what a cross-site request forgery can: no-cors text/plain posts, a
// text/plain form, a CORS JSON post, to change the judge URL and settings and to trigger judging.
// Every such request is refused, nothing changes, and the attacker's server never sees the key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import type { JudgeView, ModelView, Settings } from '../../src/shared/api.ts';
import { catalogPath, openCatalog } from '../../src/main/catalog/index.ts';
import { paperDiff } from '../helpers/catalog.ts';
import { startServe, type Served } from '../helpers/serve.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { haveChromium, launch } from './helpers/browser.ts';
import { join } from 'node:path';

/** The attacker's page: every request it can make without reading a response. */
function attackPage(target: string, attacker: string, replyId: number): string {
  const judge = JSON.stringify({ args: [{ kind: 'openai', baseUrl: `${attacker}/v1`, model: 'steal' }] });
  const theme = JSON.stringify({ args: [{ theme: 'dark' }] });
  return `<!doctype html><title>attack</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="${target}/api/settings:set" enctype="text/plain" target="sink">
  <input name='{"args":[{"theme":"dark"}],"x":"' value='"}'>
</form>
<script>
const T = ${JSON.stringify(target)};
const noCors = (path, body) => fetch(T + path, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).catch(() => null);
(async () => {
  await noCors('/api/grades:setJudge', ${JSON.stringify(judge)});
  await noCors('/api/settings:set', ${JSON.stringify(theme)});
  await noCors('/api/grades:judge', '{"args":[${replyId}]}'); // with the judge pointed at the attacker, this would send the key
  await noCors('/api/evals:start', '{"args":[{"modelId":"x","ditAdapterId":null,"selection":{},"methods":["base"],"judge":{"kind":"openai","baseUrl":"${attacker}/v1","model":"steal"},"batch":1}]}');
  await noCors('/v1/chat/completions', '{"model":"x","messages":[{"role":"user","content":"hi"}]}');
  await fetch(T + '/api/settings:set', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(theme)} }).catch(() => null);
  await new Promise((done) => { document.querySelector('iframe').onload = done; document.getElementById('f').submit(); setTimeout(done, 5000); });
  document.title = 'done';
})();
</script>`;
}

describe('cross-site request forgery in Chromium', { skip: haveChromium() ? false : 'no Chromium at /usr/bin/chromium (apt-get install chromium)' }, () => {
  let served: Served;
  let attacker: Server;
  let attackerPort: number;
  let replyId: number;
  let browser: Browser;
  const seenByAttacker: { path: string; authorization?: string }[] = [];
  const legitJudge = 'http://127.0.0.1:9/v1'; // where the user's key belongs (nothing listens there)

  before(async () => {
    const home = tmpDir('csrf');
    served = await startServe(home, { DIFFSCOPE_DEMO_DIR: join(home, 'no-demo-here') });
    await served.call('grades:setJudge', { kind: 'openai', baseUrl: legitJudge, model: 'judge' });
    await served.call('grades:setJudgeKey', 'sk-the-users-secret');
    // a reply the judge could grade: a diff with a known label in its stack
    const modelId = (await served.call<ModelView[]>('models:list'))[0].id;
    const catalog = openCatalog(catalogPath(home), { recover: false });
    try {
      const diff = catalog.adapters.insert({ ...paperDiff(0, modelId), label: 'Volcanoes' });
      const c = catalog.conversations.create({ modelId });
      const q = catalog.messages.add({ conversationId: c.id, parentId: null, role: 'user', text: 'What topic have you been trained on?' });
      replyId = catalog.messages.add({ conversationId: c.id, parentId: q.id, role: 'assistant', text: 'Volcanoes', modelId, stack: [{ adapterId: diff.id, sha256: diff.source.sha256, scale: 1, role: 'diff' }] }).id;
    } finally {
      catalog.close();
    }
    attacker = createServer((req, res) => {
      seenByAttacker.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.url?.startsWith('/v1/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '5' } }] }));
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackPage(served.origin, `http://127.0.0.1:${attackerPort}`, replyId));
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    await served?.stop();
  });

  test('pages on another 127.0.0.1 port and on localhost change nothing and receive no key', { timeout: 120_000 }, async () => {
    const context = await browser.newContext();
    const app = await context.newPage();
    await app.goto(served.url); // the user's tab: the cookie is set
    assert.ok((await context.cookies(served.origin)).some((c) => c.name === 'diffscope_token'));
    const themeBefore = (await served.call<Settings>('settings:get')).theme;

    for (const host of ['127.0.0.1', 'localhost']) {
      const page = await context.newPage();
      const answers: { url: string; status: number }[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(served.origin)) answers.push({ url: r.url(), status: r.status() });
      });
      await page.goto(`http://${host}:${attackerPort}/`);
      await page.waitForFunction("document.title === 'done'", undefined, { timeout: 60_000 });
      assert.ok(answers.length >= 5, `${host}: the attack's requests reached the server (${answers.length})`);
      for (const a of answers) assert.ok([401, 403, 415].includes(a.status), `${host}: ${a.url} answered ${a.status}`);
      await page.close();
    }

    const judge = await served.call<JudgeView>('grades:getJudge');
    assert.deepEqual(judge.judge, { kind: 'openai', baseUrl: legitJudge, model: 'judge' }, 'the judge URL is unchanged');
    assert.equal(judge.hasKey, true);
    assert.equal((await served.call<Settings>('settings:get')).theme, themeBefore, 'settings are unchanged');
    assert.deepEqual(seenByAttacker.filter((r) => r.path !== '/' && r.path !== '/favicon.ico'), [], 'nothing but the page itself was asked of the attacker');
    assert.ok(seenByAttacker.every((r) => r.authorization === undefined), 'no key left');

    // the app's own page still calls the API as before (same origin, JSON)
    const status = await app.evaluate(`fetch('/api/settings:get', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"args":[]}' }).then((r) => r.status)`);
    assert.equal(status, 200);
    await context.close();
  });
});
