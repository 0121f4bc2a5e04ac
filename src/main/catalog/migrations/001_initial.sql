-- 001: the library (models, adapters, tags), conversations as message trees, grades, settings.
-- Timestamps are ISO-8601 UTC text with milliseconds; JSON columns are checked with json_valid.

CREATE TABLE models (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  arch          TEXT NOT NULL,
  precision     TEXT NOT NULL,
  library_dir   TEXT NOT NULL,
  source_path   TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  manifest      TEXT NOT NULL CHECK (json_valid(manifest)),
  demo          INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
  stand_in      INTEGER NOT NULL DEFAULT 0 CHECK (stand_in IN (0, 1)),
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE adapters (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('diff', 'dit', 'full')),
  model_id      TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  format        TEXT NOT NULL CHECK (format IN ('paper-pt', 'peft', 'safetensors', 'full')),
  rank          INTEGER CHECK (rank > 0),
  source_path   TEXT NOT NULL,
  source_index  INTEGER CHECK (source_index >= 0),
  source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
  source_size   INTEGER NOT NULL CHECK (source_size >= 0),
  source_mtime  INTEGER NOT NULL,
  label         TEXT,
  description   TEXT,
  trigger       INTEGER,
  split         TEXT CHECK (split IN ('train', 'test')),
  experiment    TEXT,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX adapters_by_model ON adapters (model_id, kind, split);
CREATE INDEX adapters_by_experiment ON adapters (experiment, split);
CREATE UNIQUE INDEX adapters_one_per_source ON adapters (model_id, source_sha256, ifnull(source_index, -1));

CREATE TABLE adapter_tags (
  tag        TEXT NOT NULL CHECK (tag <> '' AND tag = trim(tag)),
  adapter_id TEXT NOT NULL REFERENCES adapters (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, adapter_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX adapter_tags_by_adapter ON adapter_tags (adapter_id);

CREATE TABLE conversations (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  title      TEXT NOT NULL DEFAULT '',
  model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  stack      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(stack)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX conversations_by_update ON conversations (updated_at);

CREATE TABLE messages (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id         INTEGER,
  role              TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  text              TEXT NOT NULL DEFAULT '',
  status            TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'incomplete', 'error')),
  error             TEXT CHECK (status <> 'error' OR error IS NOT NULL),
  model_id          TEXT REFERENCES models (id) ON DELETE NO ACTION,
  stack             TEXT CHECK (json_valid(stack)),
  sampling          TEXT CHECK (json_valid(sampling)),
  seed              INTEGER,
  provider          TEXT,
  finish_reason     TEXT CHECK (finish_reason IN ('eos', 'stop', 'length', 'cancelled')),
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  ttft_ms           REAL,
  prompt_tps        REAL,
  decode_tps        REAL,
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (conversation_id, id),
  FOREIGN KEY (conversation_id, parent_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id);
CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming';

CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages BEGIN
  UPDATE conversations SET updated_at = NEW.created_at WHERE id = NEW.conversation_id;
END;

CREATE TABLE grades (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  method      TEXT NOT NULL CHECK (method IN ('human', 'judge', 'lexical')),
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  note        TEXT,
  reference   TEXT,
  judge_model TEXT CHECK ((method = 'judge') = (judge_model IS NOT NULL)),
  raw_answer  TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE UNIQUE INDEX grades_one_per_grader ON grades (message_id, method, ifnull(judge_model, ''));

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT, WITHOUT ROWID;
