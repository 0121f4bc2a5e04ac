-- 002: evaluation runs over many diffs, and full-text search over messages.

CREATE TABLE eval_runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id       TEXT NOT NULL REFERENCES models (id) ON DELETE NO ACTION,
  dit_adapter_id TEXT REFERENCES adapters (id) ON DELETE NO ACTION,
  methods        TEXT NOT NULL CHECK (json_valid(methods)),
  selection      TEXT NOT NULL CHECK (json_valid(selection)),
  settings       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
  status         TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'paused', 'done', 'failed')),
  error          TEXT,
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at    TEXT
) STRICT;

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

-- messages written before this migration
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
