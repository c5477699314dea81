//! Chinese text search on whichever backend the tests run against (a SQLite file, or a fresh
//! PostgreSQL database when `XS_TEST_DATABASE_URL` is set).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use xs_kit::db::{Db, DbBackend, Migrations, PoolOptions};
use xs_kit::search::{self, Plan};
use xs_testkit::TestDb;

diesel::table! {
    notes (id) {
        id -> Text,
        district -> Text,
        title -> Text,
    }
}

const NO_SERVICE_MIGRATIONS: Migrations = Migrations(&[]);

const KIND: &str = "note";

struct Fixture {
    db: Db,
    _test_db: TestDb,
}

impl Fixture {
    fn new() -> Fixture {
        let test_db = TestDb::fresh();
        let db = Db::connect(&test_db.url, &PoolOptions::default()).expect("pool");
        db.migrate(&NO_SERVICE_MIGRATIONS).expect("kit migrations");
        let mut c = db.pool().get().expect("connection");
        c.batch_execute(
            "CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, district TEXT NOT NULL, \
             title TEXT NOT NULL)",
        )
        .expect("notes table");
        Fixture {
            db,
            _test_db: test_db,
        }
    }

    fn conn(&self) -> r2d2::PooledConnection<xs_kit::db::Manager> {
        self.db.pool().get().expect("connection")
    }

    /// Write a note and index its title in one transaction, as a service would.
    fn put(&self, id: &str, district: &str, title: &str) {
        self.conn()
            .transaction(|c| {
                diesel::delete(notes::table.find(id)).execute(c)?;
                diesel::insert_into(notes::table)
                    .values((
                        notes::id.eq(id),
                        notes::district.eq(district),
                        notes::title.eq(title),
                    ))
                    .execute(c)?;
                search::index(c, KIND, id, &[title])
            })
            .expect("put note");
    }

    /// Ids of notes matching `q` (and in `district` when given), in id order, on every plan.
    fn find_in(&self, q: &str, district: Option<&str>) -> Vec<String> {
        let mut answers = Vec::new();
        for plan in [
            Plan::Auto,
            Plan::AutoUpTo(1),
            Plan::Collect,
            Plan::Probe,
            Plan::Planner,
        ] {
            let c = &mut *self.conn();
            let mut query = notes::table
                .select(notes::id)
                .order(notes::id)
                .into_boxed::<DbBackend>();
            if let Some(d) = district {
                query = query.filter(notes::district.eq(d.to_string()));
            }
            let filter = search::matching_with(c, KIND, "notes.id", q, plan).expect("filter");
            answers.push(query.filter(filter).load::<String>(c).expect("search"));
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "plans disagree for {q}: {answers:?}"
        );
        answers.remove(0)
    }

    fn find(&self, q: &str) -> Vec<String> {
        self.find_in(q, None)
    }
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn two_character_words_are_found_inside_longer_text() {
    let f = Fixture::new();
    f.put("n1", "siming", "小区停车难，居民盼解决");
    f.put("n2", "siming", "停下车来看看");
    f.put("n3", "huli", "车位紧张");
    assert_eq!(f.find("停车"), ids(&["n1"]));
    assert_eq!(f.find("车"), ids(&["n1", "n2", "n3"]));
    assert_eq!(f.find("停车难"), ids(&["n1"]));
    assert_eq!(f.find("居民 解决"), ids(&["n1"]));
    assert_eq!(f.find("车位"), ids(&["n3"]));
    assert!(f.find("停车位").is_empty());
    assert!(f.find("菜市场").is_empty());
}

#[test]
fn a_name_is_found_by_its_characters_not_by_a_similar_name() {
    let f = Fixture::new();
    f.put("m1", "siming", "张伟");
    f.put("m2", "siming", "张伟华");
    f.put("m3", "huli", "王伟");
    f.put("m4", "huli", "伟张");
    assert_eq!(f.find("张伟"), ids(&["m1", "m2"]));
    assert_eq!(f.find("伟华"), ids(&["m2"]));
    assert_eq!(f.find("伟"), ids(&["m1", "m2", "m3", "m4"]));
    assert_eq!(f.find("张"), ids(&["m1", "m2", "m4"]));
    assert_eq!(f.find("王伟"), ids(&["m3"]));
    assert!(
        f.find("张华").is_empty(),
        "the characters must be neighbours"
    );
}

#[test]
fn latin_words_and_digits_match_by_prefix_and_mix_with_chinese() {
    let f = Fixture::new();
    f.put("a", "siming", "委员33");
    f.put("b", "siming", "委员331");
    f.put("c", "siming", "委员4");
    f.put("d", "huli", "关于PM2.5监测的建议");
    f.put("e", "huli", "5G基站选址");
    assert_eq!(f.find("委员33"), ids(&["a", "b"]));
    assert_eq!(f.find("委员331"), ids(&["b"]));
    assert_eq!(f.find("33"), ids(&["a", "b"]));
    assert_eq!(f.find("pm2"), ids(&["d"]));
    assert_eq!(f.find("PM"), ids(&["d"]));
    assert_eq!(f.find("ＰＭ２．５"), ids(&["d"]), "full-width is folded");
    assert_eq!(f.find("5g 基站"), ids(&["e"]));
    assert!(f.find("委员5").is_empty());
}

#[test]
fn reindexing_replaces_and_removal_forgets() {
    let f = Fixture::new();
    f.put("n1", "siming", "小区停车难");
    f.put("n2", "siming", "停车收费");
    assert_eq!(f.find("停车"), ids(&["n1", "n2"]));
    f.put("n1", "siming", "垃圾分类");
    assert_eq!(f.find("停车"), ids(&["n2"]));
    assert_eq!(f.find("分类"), ids(&["n1"]));
    let c = &mut *f.conn();
    search::remove(c, KIND, "n2").expect("remove");
    search::remove(c, KIND, "never-indexed").expect("removing twice is harmless");
    assert!(f.find("停车").is_empty());
    // Text with nothing to index takes the document out too.
    search::index(c, KIND, "n1", &["，。！"]).expect("index");
    assert!(f.find("分类").is_empty());
}

#[test]
fn kinds_are_kept_apart() {
    let f = Fixture::new();
    f.put("n1", "siming", "停车");
    let c = &mut *f.conn();
    search::index(c, "other", "n2", &["停车"]).expect("index");
    assert_eq!(f.find("停车"), ids(&["n1"]));
    search::remove(c, "other", "n1").expect("remove");
    assert_eq!(f.find("停车"), ids(&["n1"]));
}

#[test]
fn search_composes_with_filters_and_keyset_pages() {
    let f = Fixture::new();
    for i in 0..30 {
        let district = if i % 3 == 0 { "huli" } else { "siming" };
        let title = if i % 2 == 0 {
            "老旧小区加装电梯"
        } else {
            "小区绿化"
        };
        f.put(&format!("n{i:02}"), district, title);
    }
    let even_siming: Vec<String> = (0..30)
        .filter(|i| i % 2 == 0 && i % 3 != 0)
        .map(|i| format!("n{i:02}"))
        .collect();
    assert_eq!(f.find_in("电梯", Some("siming")), even_siming);
    assert_eq!(f.find_in("小区", Some("huli")).len(), 10);
    assert!(f.find_in("电梯", Some("jimei")).is_empty());

    // Pages of 4 after a cursor, with the district filter: together, the whole answer.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let c = &mut *f.conn();
        let page: Vec<String> = notes::table
            .select(notes::id)
            .filter(notes::district.eq("siming"))
            .filter(notes::id.gt(after.clone()))
            .filter(search::matching(c, KIND, "notes.id", "加装电梯").expect("filter"))
            .order(notes::id)
            .limit(4)
            .load(c)
            .expect("page");
        match page.last() {
            Some(last) => after = last.clone(),
            None => break,
        }
        seen.extend(page);
    }
    assert_eq!(seen, even_siming);
}

#[test]
fn a_query_without_tokens_matches_nothing() {
    let f = Fixture::new();
    f.put("n1", "siming", "停车");
    assert!(search::query_tokens("，。 %_").is_empty());
    assert!(f.find("，。 %_").is_empty());
    assert!(f.find("").is_empty());
}

#[test]
fn quotes_and_query_syntax_in_input_are_only_text() {
    let f = Fixture::new();
    f.put("n1", "siming", "停车 OR NOT");
    f.put("n2", "siming", "AND");
    // FTS5 query syntax in the input is only text: each case is its tokens, never an error.
    for (q, want) in [
        ("\"停车", ids(&["n1"])),
        ("停车\" OR \"not", ids(&["n1"])),
        ("停车*", ids(&["n1"])),
        ("-停车", ids(&["n1"])),
        ("NEAR(停车)", ids(&[])),
        ("tokens:停车", ids(&[])),
    ] {
        assert_eq!(f.find(q), want, "{q}");
    }
    assert_eq!(f.find("and"), ids(&["n2"]));
    assert_eq!(f.find("or"), ids(&["n1"]));
}

#[test]
fn similar_ranks_by_shared_pairs() {
    let f = Fixture::new();
    f.put("t1", "siming", "小区停车难");
    f.put("t2", "siming", "小区停车位不足");
    f.put("t3", "siming", "停车收费太高");
    f.put("t4", "siming", "垃圾分类");
    let c = &mut *f.conn();
    let got = search::similar(c, KIND, "小区停车难问题", 10).expect("similar");
    assert_eq!(
        got,
        vec![
            ("t1".to_string(), 4), // 小区 区停 停车 车难
            ("t2".to_string(), 3), // 小区 区停 停车
            ("t3".to_string(), 1), // 停车
        ]
    );
    assert_eq!(
        search::similar(c, KIND, "小区停车难问题", 1).expect("similar"),
        vec![("t1".to_string(), 4)]
    );
    assert!(
        search::similar(c, KIND, "。", 10)
            .expect("similar")
            .is_empty()
    );
    assert!(
        search::similar(c, "other", "停车", 10)
            .expect("similar")
            .is_empty()
    );
}

#[test]
fn rows_left_by_a_migration_are_indexed_when_migrating() {
    let f = Fixture::new();
    f.put("n1", "siming", "旧标题");
    {
        let c = &mut *f.conn();
        c.batch_execute(
            "INSERT INTO notes (id, district, title) VALUES ('n2', 'huli', '加装电梯'); \
             INSERT INTO kit_search_pending (kind, doc_id, body) VALUES \
               ('note', 'n2', '加装电梯'), ('note', 'n1', '过时的'), ('note', 'n1', '新标题');",
        )
        .expect("pending rows");
    }
    f.db.migrate(&NO_SERVICE_MIGRATIONS).expect("migrate again");
    assert_eq!(f.find("电梯"), ids(&["n2"]));
    assert_eq!(f.find("标题"), ids(&["n1"]), "the later entry wins");
    assert!(f.find("旧标").is_empty());
    assert!(f.find("过时").is_empty());
    // A write of the document drops what was still waiting for it.
    {
        let c = &mut *f.conn();
        c.batch_execute(
            "INSERT INTO kit_search_pending (kind, doc_id, body) VALUES ('note', 'n2', '旧的');",
        )
        .expect("pending row");
    }
    f.put("n2", "huli", "新的电梯");
    f.db.migrate(&NO_SERVICE_MIGRATIONS).expect("migrate again");
    assert_eq!(f.find("电梯"), ids(&["n2"]));
    assert!(f.find("旧的").is_empty());
}

#[test]
fn many_matches_use_the_same_answers_on_every_plan() {
    // More matches than the bound, so counting chooses to probe (`find_in` checks every plan).
    let f = Fixture::new();
    let n = 300;
    {
        let c = &mut *f.conn();
        c.transaction(|c| {
            for i in 0..n {
                let id = format!("n{i:04}");
                let title = if i % 100 == 7 {
                    "社区停车"
                } else {
                    "社区服务"
                };
                diesel::insert_into(notes::table)
                    .values((
                        notes::id.eq(&id),
                        notes::district.eq(if i % 2 == 0 { "a" } else { "b" }),
                        notes::title.eq(title),
                    ))
                    .execute(c)?;
                search::index(c, KIND, &id, &[title])?;
            }
            QueryResult::Ok(())
        })
        .expect("load");
    }
    let c = &mut *f.conn();
    for plan in [Plan::AutoUpTo(10), Plan::AutoUpTo(1000)] {
        let first: Vec<String> = notes::table
            .select(notes::id)
            .filter(notes::district.eq("b"))
            .filter(search::matching_with(c, KIND, "notes.id", "社区", plan).expect("filter"))
            .order(notes::id.desc())
            .limit(3)
            .load(c)
            .expect("page");
        assert_eq!(first, ids(&["n0299", "n0297", "n0295"]), "{plan:?}");
    }
    assert_eq!(
        f.find_in("停车", Some("b")),
        ids(&["n0007", "n0107", "n0207"])
    );
    assert_eq!(f.find("社区").len(), n);
}

#[test]
fn counting_leaves_the_callers_session_as_it_was() {
    let f = Fixture::new();
    f.put("n1", "siming", "停车");
    let c = &mut *f.conn();
    if !matches!(c, xs_kit::DbConn::Pg(_)) {
        return;
    }
    let seqscan = |c: &mut xs_kit::DbConn| -> String {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_setting('enable_seqscan')",
        ))
        .get_result(c)
        .expect("setting")
    };
    search::matching::<notes::table>(c, KIND, "notes.id", "停车").expect("outside a transaction");
    assert_eq!(seqscan(c), "on");
    c.transaction(|c| {
        search::matching::<notes::table>(c, KIND, "notes.id", "停车")?;
        assert_eq!(seqscan(c), "on", "inside the caller's transaction too");
        QueryResult::Ok(())
    })
    .expect("transaction");
}
