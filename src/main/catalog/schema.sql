-- The catalog's current schema: the readable truth. It must equal what migrations/001..NNN build
-- from an empty database (test/unit/catalog-migrations.test.ts compares the two); change it
-- together with a new migration, never alone. Nothing runs this file: databases are always made
-- by the migrator in migrate.ts, so there is one way a catalog comes to exist.
--
-- Conventions
-- * STRICT tables: a column holds the type it says, or the write fails.
-- * Timestamps are ISO-8601 UTC text with milliseconds ('2025-01-31T12:00:00.000Z').
-- * JSON columns are TEXT checked with json_valid; their shapes are the TypeScript types in the
--   file that reads them (camelCase keys, the same shape the API uses).
-- * References from the record of work (conversations, messages, grades, eval runs) to the
--   library (models, adapters) refuse the delete (ON DELETE NO ACTION): removing a model or a
--   diff never deletes history; the service says what still uses it. (NO ACTION rather than
--   RESTRICT: same refusal, but reported as SQLITE_CONSTRAINT_FOREIGNKEY, which the services
--   recognise, instead of SQLITE_CONSTRAINT_TRIGGER.) Containment cascades: a conversation owns
--   its messages, a message its replies and grades, an eval run its items.

-- Applied migrations. Created by the migrator itself (migrate.ts) before migration 001 runs.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- ---------------------------------------------------------------------------------------------
-- Library

-- A base model imported into <home>/library/models/<id>/.
CREATE TABLE models (
  id            TEXT PRIMARY KEY,         -- the library id: the model's folder name
  name          TEXT NOT NULL,            -- the source folder's name, for people
  arch          TEXT NOT NULL,            -- qwen3 | llama | gemma3
  precision     TEXT NOT NULL,            -- fp32 | fp16 | int4 ...
  library_dir   TEXT NOT NULL,            -- absolute path of the library folder
  source_path   TEXT NOT NULL,            -- the Hugging Face folder it was imported from
  source_sha256 TEXT NOT NULL,
  manifest      TEXT NOT NULL CHECK (json_valid(manifest)),  -- engine/library.ts Manifest
  demo          INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),      -- came from resources/demo
  stand_in      INTEGER NOT NULL DEFAULT 0 CHECK (stand_in IN (0, 1)),  -- random weights: answers mean nothing; the UI says so
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- A weight diff, DIT adapter or full finetune, referenced by path + sha256 (+ index inside a
-- multi-diff file), never copied. size and mtime let a service notice a moved or changed file
-- cheaply and rehash only then.
CREATE TABLE adapters (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('diff', 'dit', 'full')),
  -- The base model the adapter was validated against at import. NOT NULL: an adapter's module
  -- shapes only mean something for one base, and nothing can run it without one.
  model_id      TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  format        TEXT NOT NULL CHECK (format IN ('paper-pt', 'peft', 'safetensors', 'full')),
  rank          INTEGER CHECK (rank > 0),  -- NULL until the tensors are read (an index.csv row does not say)
  source_path   TEXT NOT NULL,             -- file or folder
  source_index  INTEGER CHECK (source_index >= 0),  -- the #INDEX inside a multi-diff .pt shard
  source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),  -- of the file (of a folder: as the service defines)
  source_size   INTEGER NOT NULL CHECK (source_size >= 0),  -- bytes
  source_mtime  INTEGER NOT NULL,          -- ms since the epoch
  label         TEXT,                      -- what the diff is known to teach: topic, or news headline
  description   TEXT,
  trigger       INTEGER,                   -- hidden-topic trigger (0..999), when the diff has one
  split         TEXT CHECK (split IN ('train', 'test')),
  experiment    TEXT,                      -- e.g. 'hidden-topic/qwen3-4b'
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX adapters_by_model ON adapters (model_id, kind, split);
CREATE INDEX adapters_by_experiment ON adapters (experiment, split);
-- The same bytes (and index) imported twice for one base is a duplicate, wherever the file sits.
CREATE UNIQUE INDEX adapters_one_per_source ON adapters (model_id, source_sha256, ifnull(source_index, -1));

-- Free tags. A join table rather than a JSON column so that "adapters with tag X" is an index
-- seek (primary key starts with tag) instead of a scan that parses JSON in every row.
CREATE TABLE adapter_tags (
  tag        TEXT NOT NULL CHECK (tag <> '' AND tag = trim(tag)),
  adapter_id TEXT NOT NULL REFERENCES adapters (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, adapter_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX adapter_tags_by_adapter ON adapter_tags (adapter_id);

-- ---------------------------------------------------------------------------------------------
-- Conversations

CREATE TABLE conversations (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id is never reused after a delete
  title      TEXT NOT NULL DEFAULT '',
  model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  stack      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(stack)),  -- the stack the next turn starts with: RecordedStackEntry[]
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))  -- last message (trigger below)
) STRICT;
CREATE INDEX conversations_by_update ON conversations (updated_at);

-- A conversation is a tree: regenerate adds a sibling reply (same parent), edit-and-resend a
-- sibling user message. Roots have parent_id NULL. A reply carries its full provenance: base
-- model, exact adapter stack with scales and sha256s, sampling, seed, provider, timings.
CREATE TABLE messages (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,  -- also the rowid messages_fts indexes
  conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id         INTEGER,
  role              TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  text              TEXT NOT NULL DEFAULT '',
  -- 'streaming' while a reply is generated (its text is flushed now and then); on open, rows
  -- left 'streaming' by a crash become 'incomplete' (Catalog.markInterrupted).
  status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'incomplete', 'error')),
  error             TEXT CHECK (status <> 'error' OR error IS NOT NULL),
  model_id          TEXT REFERENCES models (id) ON DELETE NO ACTION,  -- the base that answered (replies)
  stack             TEXT CHECK (json_valid(stack)),     -- RecordedStackEntry[]: [{adapterId, sha256, scale, role: 'diff'|'dit'}]
  sampling          TEXT CHECK (json_valid(sampling)),  -- {temperature, topK, topP, repetitionPenalty, maxTokens, stop}
  seed              INTEGER,
  provider          TEXT,                               -- execution provider: cpu, cuda, ...
  finish_reason     TEXT CHECK (finish_reason IN ('eos', 'stop', 'length', 'cancelled')),
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  ttft_ms           REAL,
  prompt_tps        REAL,
  decode_tps        REAL,
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (conversation_id, id),
  -- A parent must be in the same conversation; deleting a message deletes the branch below it.
  FOREIGN KEY (conversation_id, parent_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id);
CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming';

CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages BEGIN
  UPDATE conversations SET updated_at = NEW.created_at WHERE id = NEW.conversation_id;
END;

-- Full-text search over message text. External content (the text lives once, in messages),
-- kept in sync by the three triggers; rowid = messages.id. Ranked with bm25 (search.ts).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
  text,
  content = 'messages',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
  INSERT INTO messages_fts (rowid, text) VALUES (NEW.id, NEW.text);
END;

-- ---------------------------------------------------------------------------------------------
-- Grades and evaluations

-- One grade per grader and message: one human grade, one lexical score, one per judge model.
-- Grading again replaces the earlier grade (grades.ts upserts on the unique index).
CREATE TABLE grades (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  method      TEXT NOT NULL CHECK (method IN ('human', 'judge', 'lexical')),
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),  -- the paper's 1-5 similarity scale
  note        TEXT,                  -- the person's note, or the judge's rationale
  reference   TEXT,                  -- the label the answer was compared with, as it was then
  judge_model TEXT CHECK ((method = 'judge') = (judge_model IS NOT NULL)),
  raw_answer  TEXT,                  -- the judge's whole reply, before the score was read from it
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE UNIQUE INDEX grades_one_per_grader ON grades (message_id, method, ifnull(judge_model, ''));

-- An evaluation: many diffs asked the same way (DIT question, baselines), answers graded.
CREATE TABLE eval_runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id       TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  dit_adapter_id TEXT REFERENCES adapters (id) ON DELETE NO ACTION,  -- NULL: baselines only
  methods        TEXT NOT NULL CHECK (json_valid(methods)),    -- string[], e.g. ["dit", "base-question"]
  selection      TEXT NOT NULL CHECK (json_valid(selection)),  -- which diffs, as the user chose them
  settings       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),  -- question, max tokens, judge ...
  status         TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'paused', 'done', 'failed')),
  error          TEXT,
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at    TEXT
) STRICT;

-- One (diff, method) of a run. The unique key makes a resumed run skip what is done, and adding
-- the same work twice a no-op.
CREATE TABLE eval_items (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id       INTEGER NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
  adapter_id   TEXT NOT NULL REFERENCES adapters (id) ON DELETE NO ACTION,
  method       TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  answer       TEXT,
  score        INTEGER CHECK (score BETWEEN 1 AND 5),
  grade_method TEXT CHECK (grade_method IN ('human', 'judge', 'lexical')),
  error        TEXT,
  started_at   TEXT,
  finished_at  TEXT,
  UNIQUE (run_id, adapter_id, method)
) STRICT;
CREATE INDEX eval_items_by_status ON eval_items (run_id, status);
CREATE INDEX eval_items_by_adapter ON eval_items (adapter_id);

-- Grades of eval items, as grades are of messages: one per grader and item. The item's own score
-- is its run's grader's (judge or lexical); a person's grade sits beside it for agreement.
CREATE TABLE eval_grades (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id     INTEGER NOT NULL REFERENCES eval_items (id) ON DELETE CASCADE,
  method      TEXT NOT NULL CHECK (method IN ('human', 'judge', 'lexical')),
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  note        TEXT,
  reference   TEXT,                  -- the label, as it was then
  judge_model TEXT CHECK ((method = 'judge') = (judge_model IS NOT NULL)),
  raw_answer  TEXT,                  -- the judge's whole reply
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE UNIQUE INDEX eval_grades_one_per_grader ON eval_grades (item_id, method, ifnull(judge_model, ''));

-- What an item asked: the prompt as sent (with the trigger's digits), and for 20 questions the
-- transcript the judge guessed from ([{question, answer}]).
CREATE TABLE eval_item_details (
  item_id    INTEGER PRIMARY KEY REFERENCES eval_items (id) ON DELETE CASCADE,
  prompt     TEXT NOT NULL,
  transcript TEXT CHECK (transcript IS NULL OR json_valid(transcript))
) STRICT;

-- The agent auditor's steps: each query an LLM agent made of an item's models (tool 'ask': the
-- base model's and the finetuned model's answers side by side; 'dit': the DIT question with the
-- DIT adapter), the guess it stated after it and the judge's grade of that guess.
CREATE TABLE eval_agent_steps (
  item_id          INTEGER NOT NULL REFERENCES eval_items (id) ON DELETE CASCADE,
  step             INTEGER NOT NULL CHECK (step >= 1),  -- queries used so far
  tool             TEXT NOT NULL CHECK (tool IN ('ask', 'dit')),
  prompt           TEXT NOT NULL,
  base_answer      TEXT,                  -- null for the DIT tool
  finetuned_answer TEXT NOT NULL,
  guess            TEXT NOT NULL,
  score            INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  judge_model      TEXT NOT NULL,
  judge_raw        TEXT,                  -- the judge's whole reply
  PRIMARY KEY (item_id, step)
) STRICT;

-- ---------------------------------------------------------------------------------------------
-- Settings: one JSON value per key (judge endpoint, default sampling, window state ...).
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT, WITHOUT ROWID;
