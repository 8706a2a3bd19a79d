"""The room database's tables, as ordered migrations (PRAGMA user_version counts them)."""

DB_NAME = "room.sqlite"

# Ordered migrations; PRAGMA user_version says how many have run.
MIGRATIONS: list[str] = [
    # 1: the room, its roster, attempts, answers, the audit log
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE packs (
        language TEXT PRIMARY KEY,
        pack_id TEXT NOT NULL,
        folder TEXT NOT NULL            -- relative to the room's data folder
    );
    CREATE TABLE students (
        id INTEGER PRIMARY KEY,
        iin TEXT NOT NULL UNIQUE,
        surname TEXT NOT NULL,
        name TEXT NOT NULL,
        patronymic TEXT NOT NULL DEFAULT '',
        grade INTEGER NOT NULL,
        class TEXT NOT NULL,
        language TEXT NOT NULL,
        seat INTEGER NOT NULL UNIQUE,
        variant TEXT NOT NULL,
        login TEXT NOT NULL UNIQUE,
        ikt TEXT NOT NULL UNIQUE,        -- individual test-taker code
        password_hash TEXT NOT NULL      -- scrypt$n$r$p$salt$hash; the clear password is never stored
    );
    CREATE TABLE attendance (
        student_id INTEGER PRIMARY KEY REFERENCES students(id),
        present INTEGER,                 -- NULL: not marked yet
        reason TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL DEFAULT '',
        slip_handed INTEGER NOT NULL DEFAULT 0,
        slip_collected INTEGER NOT NULL DEFAULT 0,
        updated_ms INTEGER
    );
    CREATE TABLE attempts (
        student_id INTEGER PRIMARY KEY REFERENCES students(id),
        state TEXT NOT NULL DEFAULT 'not_logged_in',
        device TEXT,
        data_mistake TEXT,               -- the student's report, until the proctor clears it
        started_ms INTEGER,
        extra_ms INTEGER NOT NULL DEFAULT 0,
        subject_index INTEGER NOT NULL DEFAULT 0,
        closed_subjects TEXT NOT NULL DEFAULT '[]',
        current_item TEXT,
        break_slots TEXT NOT NULL DEFAULT '[]',
        break_started_ms INTEGER,        -- set while on break
        finished_ms INTEGER,
        finish_reason TEXT,              -- finished | time_over | removed
        annulled INTEGER NOT NULL DEFAULT 0,
        journal_key BLOB,
        questionnaire_started_ms INTEGER,
        questionnaire_done INTEGER NOT NULL DEFAULT 0,
        last_seen_ms INTEGER
    );
    CREATE TABLE answers (
        student_id INTEGER NOT NULL REFERENCES students(id),
        seq INTEGER NOT NULL,            -- numbered by the client; a replay is not a new row
        item TEXT NOT NULL,
        value BLOB,                      -- msgpack
        made_ms INTEGER NOT NULL,        -- attempt time when made (the client's monotonic clock)
        received_ms INTEGER NOT NULL,    -- server time when committed
        counted INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (student_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX answers_by_item ON answers(student_id, item, seq);
    CREATE TABLE pauses (
        id INTEGER PRIMARY KEY,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER,
        reason TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE extra_time (
        id INTEGER PRIMARY KEY,
        student_id INTEGER NOT NULL REFERENCES students(id),
        minutes INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,              -- annex1 | annex2 | other
        student_id INTEGER REFERENCES students(id),
        at_ms INTEGER NOT NULL,
        fields TEXT NOT NULL             -- JSON: the act's fields
    );
    -- Questionnaire answers under a random pseudonym: no student id, no time, no rowid
    -- order, so nothing joins them back to a student.
    CREATE TABLE questionnaire_answers (
        pseudonym TEXT NOT NULL,
        question TEXT NOT NULL,
        value BLOB,
        PRIMARY KEY (pseudonym, question)
    ) WITHOUT ROWID;
    CREATE TABLE questionnaire_pseudonyms (pseudonym TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE protocol_form (id INTEGER PRIMARY KEY CHECK (id = 1), fields TEXT NOT NULL, saved_ms INTEGER NOT NULL);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,             -- student login, "proctor" or "server"
        student_id INTEGER,
        kind TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}'  -- JSON
    );
    CREATE INDEX audit_by_student ON audit(student_id, id);
    """,
    # 2: whether the student's app was cut off from the server when time ran out, which
    # decides whether answers it sends later can count (see sitting.late_answer_refusal)
    """
    ALTER TABLE attempts ADD COLUMN offline_at_deadline INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: the result sealed when first shown (never recomputed), answers counted late, a
    # student marked late
    """
    ALTER TABLE attempts ADD COLUMN result TEXT;
    ALTER TABLE attempts ADD COLUMN lost_at_ms INTEGER;   -- offline at the deadline: when last heard from
    ALTER TABLE answers ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE attendance ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: the questionnaire is sealed on the answering computer to the analysis centre's key:
    # the tables of clear answers under pseudonyms go (their pages zeroed: secure_delete),
    # and one sealed response per respondent is kept, with the room's copy of each
    # questionnaire file
    """
    DROP TABLE IF EXISTS questionnaire_answers;
    DROP TABLE IF EXISTS questionnaire_pseudonyms;
    CREATE TABLE questionnaire_responses (
        respondent TEXT PRIMARY KEY,     -- "student:<id>": one response each; the school cannot read it
        audience TEXT NOT NULL,          -- student | teacher | principal
        questionnaire TEXT NOT NULL,     -- the questionnaire's id
        sealed BLOB NOT NULL,            -- HPKE to the centre's key, fixed size
        submitted_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE questionnaires (
        audience TEXT NOT NULL,
        language TEXT NOT NULL,
        file TEXT NOT NULL,              -- relative to the room's data folder
        PRIMARY KEY (audience, language)
    );
    """,
    # 5: teachers' and principals' questionnaire accounts: a slip each, no name, no test
    """
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        audience TEXT NOT NULL,              -- teacher | principal
        password_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        questionnaire_started_ms INTEGER,    -- its minutes count from the first opening
        language TEXT                        -- the language they last opened it in
    );
    """,
]
