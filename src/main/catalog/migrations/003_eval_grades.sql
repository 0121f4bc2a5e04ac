-- 003: grades of evaluation items (a person's, each judge's with its raw reply, the lexical score)
-- and what each item asked (the prompt as sent; the 20 questions' transcript).

CREATE TABLE eval_grades (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id     INTEGER NOT NULL REFERENCES eval_items (id) ON DELETE CASCADE,
  method      TEXT NOT NULL CHECK (method IN ('human', 'judge', 'lexical')),
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  note        TEXT,
  reference   TEXT,
  judge_model TEXT CHECK ((method = 'judge') = (judge_model IS NOT NULL)),
  raw_answer  TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE UNIQUE INDEX eval_grades_one_per_grader ON eval_grades (item_id, method, ifnull(judge_model, ''));

CREATE TABLE eval_item_details (
  item_id    INTEGER PRIMARY KEY REFERENCES eval_items (id) ON DELETE CASCADE,
  prompt     TEXT NOT NULL,
  transcript TEXT CHECK (transcript IS NULL OR json_valid(transcript))
) STRICT;
