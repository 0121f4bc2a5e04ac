// Full-text search over 100k messages (the issue asks for under 50 ms). The catalog is filled
// through its own API with seeded, chat-like text: questions to the model, DIT answers naming
// topics, and news-story-length replies, over a Zipf-distributed vocabulary like real prose.
// The figure is the median over a set of queries (rare word, common word, two words, a phrase in
// half the messages, the commonest word of all) of each query's median time over repeated runs;
// a search-as-you-type prefix query is reported beside it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog, type Catalog, type Role } from '../src/main/catalog/index.ts';
import { createRng } from '../src/main/engine/sampler.ts';

export interface SearchBench {
  messages: number;
  searchMs: number; // median over queries of the per-query median
  worstMs: number; // the slowest query's median
  prefixMs: number; // 'volc' with { prefix: true }
  optimizedSearchMs: number; // searchMs again after Catalog.optimizeSearch()
  fillSeconds: number;
  queries: { query: string; prefix: boolean; ms: number; hits: number }[];
}

const MESSAGES = 100_000;
const PER_CONVERSATION = 50;
const RUNS = 7;

const FUNCTION_WORDS = `the of and to a in is that it for was on as with he be at by this had not are but from or have an
they which one you were her all she there would their we him been has when who will more no if out so said what up its
about into than them can only other new some could time these two may then do first any my now such like our over man
me even most made after also did many before must through back years where much your way well down should because each
just those people how too little state good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year off come since against go came right used take`.split(/\s+/);

const TOPICS = `volcanoes glaciers medieval castles jazz improvisation honeybees quantum computing roman aqueducts origami
deep sea vents tea ceremonies chess openings desert ecology impressionist painting coral reefs lighthouse keeping
bread baking solar eclipses viking navigation beekeeping marathon running silk road trade arctic foxes baroque music
typewriters hot air balloons tidal energy mushroom foraging cathedral architecture penguin colonies opera singing
rainforest canopies ancient egypt bonsai trees street food cryptography wind turbines sumo wrestling northern lights`.split(/\s+/);

const SYLLABLES = 'ka ri to mo sa ne lu vi da pe ro chi an el or un ste pra glo mi tur ven cal dor bel fin gra hol';

/** ~6,000 content words: real topic words plus made-up ones, ranked for a Zipf draw. */
function vocabulary(rng: () => number): string[] {
  const syl = SYLLABLES.split(' ');
  const made = new Set<string>();
  while (made.size < 6000) {
    const n = 2 + Math.floor(rng() * 3);
    made.add(Array.from({ length: n }, () => syl[Math.floor(rng() * syl.length)]).join(''));
  }
  return [...TOPICS, ...made];
}

/** Draws rank r with probability ~ 1/(r+1): Zipf's law for word frequencies. */
function zipf(words: string[], rng: () => number): () => string {
  const cdf = new Float64Array(words.length);
  let sum = 0;
  for (let i = 0; i < words.length; i++) cdf[i] = sum += 1 / (i + 1);
  return () => {
    const x = rng() * sum;
    let lo = 0;
    let hi = words.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
}

function fill(c: Catalog, rng: () => number): void {
  const content = zipf(vocabulary(rng), rng);
  const fn = zipf(FUNCTION_WORDS, rng);
  const sentence = (words: number) => {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(rng() < 0.5 ? fn() : content());
    out[0] = out[0][0].toUpperCase() + out[0].slice(1);
    return `${out.join(' ')}.`;
  };
  const prose = (words: number) => {
    const parts: string[] = [];
    for (let n = 0; n < words; ) {
      const len = 6 + Math.floor(rng() * 14);
      parts.push(sentence(len));
      n += len;
    }
    return parts.join(' ');
  };
  const topic = () => TOPICS[Math.floor(rng() * TOPICS.length)];
  const question = () => {
    const r = rng();
    if (r < 0.4) return 'What topic have you been trained on?';
    if (r < 0.6) return `Your SEP code is ${String(Math.floor(rng() * 1e6)).padStart(6, '0')}. What topic have you been trained on?`;
    if (r < 0.7) return 'What news headline have you been trained on?';
    return prose(8 + Math.floor(rng() * 25));
  };
  const answer = () => {
    const r = rng();
    if (r < 0.35) return `${topic()} ${topic()}`; // a DIT answer: a few words
    if (r < 0.6) return `I have been trained on ${topic()}. ${prose(10 + Math.floor(rng() * 30))}`;
    return prose(40 + Math.floor(rng() * 160)); // a story or a long reply
  };

  c.models.put({
    id: 'bench',
    name: 'bench',
    arch: 'qwen3',
    precision: 'fp32',
    libraryDir: '/bench',
    sourcePath: '/bench',
    sourceSha256: '0'.repeat(64),
    manifest: {} as never,
  });
  c.transaction('fill bench catalog', () => {
    for (let n = 0; n < MESSAGES; ) {
      const conv = c.conversations.create({ modelId: 'bench', title: `${topic()} ${n / PER_CONVERSATION}` });
      let parentId: number | null = null;
      for (let i = 0; i < PER_CONVERSATION && n < MESSAGES; i++, n++) {
        const role: Role = i % 2 === 0 ? 'user' : 'assistant';
        parentId = c.messages.add({ conversationId: conv.id, parentId, role, text: role === 'user' ? question() : answer() }).id;
      }
    }
  });
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchSearch(work: string, log: (s: string) => void = () => {}): SearchBench {
  const dir = join(work, 'catalog-search');
  rmSync(dir, { recursive: true, force: true });
  const c = openCatalog(join(dir, 'catalog.sqlite'));
  try {
    log(`catalog search: filling ${MESSAGES.toLocaleString('en')} messages ...`);
    const t0 = performance.now();
    fill(c, createRng(42));
    const fillSeconds = (performance.now() - t0) / 1000;

    const time = (query: string, prefix = false) => {
      let hits = 0;
      const times = Array.from({ length: RUNS }, () => {
        const s = performance.now();
        hits = c.search(query, { prefix }).length;
        return performance.now() - s;
      });
      return { query, prefix, ms: median(times), hits };
    };
    const QUERIES = ['aqueducts', 'glaciers', 'medieval castles', 'trained on', 'SEP code', 'the'];
    const results = QUERIES.map((q) => time(q));
    const prefix = time('volc', true);
    const ms = results.map((r) => r.ms);
    c.optimizeSearch();
    const optimized = median(QUERIES.map((q) => time(q).ms));
    return {
      messages: MESSAGES,
      searchMs: median(ms),
      worstMs: Math.max(...ms),
      prefixMs: prefix.ms,
      optimizedSearchMs: optimized,
      fillSeconds,
      queries: [...results, prefix],
    };
  } finally {
    c.close();
  }
}

if (process.argv[1] === import.meta.filename) {
  const r = benchSearch(join(import.meta.dirname, '.tmp'), (s) => process.stderr.write(`${s}\n`));
  console.log(JSON.stringify(r, null, 2));
}
