//! Members through the gateway: district scoping, masking, self-service.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn create_ok(t: &TestStack, token: &str, body: Value) -> Value {
    let r = t.post("/api/v1/members", token, &body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

#[actix_web::test]
async fn staff_write_only_within_their_district() {
    let t = TestStack::start().await;
    t.seed().await;
    let siming = staff("siming");
    let huli = staff("huli");
    let m = create_ok(&t, &siming, new_member("王委员", "siming")).await;
    let id = m["id"].as_str().unwrap();

    // Huli staff may not create in Siming, nor change a Siming member.
    let r = t
        .post("/api/v1/members", &huli, &new_member("x", "siming"))
        .await;
    problem(r, 403).await;
    let r = t
        .req(Method::PATCH, &format!("/api/v1/members/{id}"), &huli)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "改名"}))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    // Residents do not read the register.
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    problem(t.get("/api/v1/members", &resident).await, 403).await;
    t.stop().await;
}

#[actix_web::test]
async fn specialties_are_at_most_twenty_each_once() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let with = |list: Value| {
        let mut m = new_member("李委员", "siming");
        m["specialties"] = list;
        m
    };
    // What the schema states (maxItems 20, uniqueItems, each non-blank) is a 400...
    let many: Vec<String> = (0..21).map(|i| format!("专长{i}")).collect();
    for (list, field) in [
        (json!(many), "specialties"),
        (json!(["法律", "法律"]), "specialties"),
        (json!(["法律", " "]), "specialties[1]"),
    ] {
        let p = problem(t.post("/api/v1/members", &a, &with(list)).await, 400).await;
        assert_eq!(fields(&p), [field]);
    }
    // ... entries the same once trimmed (as they are stored) are distinct to the schema: 422.
    let p = problem(
        t.post("/api/v1/members", &a, &with(json!(["法律", " 法律"])))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["specialties"]);
    create_ok(&t, &a, with(json!(many[..20]))).await;
    t.stop().await;
}

#[actix_web::test]
async fn phones_are_masked_outside_the_members_district() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_ok(&t, &staff("siming"), new_member("李委员", "siming")).await;
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["phone"], "13812341234");

    let seen_by = |token: String| {
        let t = &t;
        let id = id.clone();
        async move {
            t.get(&format!("/api/v1/members/{id}"), &token)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Another district's staff do not read this register at all (403); its integrations read
    // it masked.
    let r = t
        .get(&format!("/api/v1/members/{id}"), &staff("huli"))
        .await;
    assert_eq!(r.status(), 403);
    let integrator = xs_testkit::token("it-siming", &[xs_kit::Role::Integrator], Some("siming"));
    let v = seen_by(integrator.clone()).await;
    assert_eq!(v["phone"], "138****1234");
    assert_eq!(v["phone_masked"], true);
    let v = seen_by(admin()).await;
    assert_eq!(v["phone"], "13812341234");
    let v = seen_by(member_token(&id, "siming")).await;
    assert_eq!(v["phone"], "13812341234", "members see their own number");
    let v = seen_by(member_token("someone-else", "siming")).await;
    assert_eq!(v["phone"], "138****1234");

    // Lists mask the same way.
    let list: Value = t
        .get("/api/v1/members", &integrator)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["phone"], "138****1234");
    t.stop().await;
}

#[actix_web::test]
async fn members_edit_only_their_own_contact_fields() {
    let t = TestStack::start().await;
    t.seed().await;
    let m = create_ok(&t, &staff("siming"), new_member("张委员", "siming")).await;
    let id = m["id"].as_str().unwrap().to_string();
    let me = member_token(&id, "siming");
    let path = format!("/api/v1/members/{id}");
    let r = t
        .req(Method::PATCH, &path, &me)
        .json(&json!({"version": 1, "phone": "13900001111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .req(Method::PATCH, &path, &me)
        .json(&json!({"version": 2, "status": "retired"}))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    let other = member_token("other", "siming");
    let r = t
        .req(Method::PATCH, &path, &other)
        .json(&json!({"version": 2, "phone": "13900002222"}))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    t.stop().await;
}

#[actix_web::test]
async fn member_filters_and_chinese_name_search() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let mut m1 = new_member("陈思明", "siming");
    m1["sector"] = json!("economy");
    m1["specialties"] = json!(["法律", "调解"]);
    m1["residence_subdistrict"] = json!("jialian");
    create_ok(&t, &a, m1).await;
    let mut m2 = new_member("林湖里", "huli");
    m2["taiwan_origin"] = json!(true);
    create_ok(&t, &a, m2).await;
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |p: &str| {
        let t = &t;
        let a = a.clone();
        let p = p.to_string();
        async move { t.get(&p, &a).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(names(q("/api/v1/members?district=huli").await), ["林湖里"]);
    assert_eq!(names(q("/api/v1/members?sector=economy").await), ["陈思明"]);
    assert_eq!(
        names(q("/api/v1/members?specialty=%E8%B0%83%E8%A7%A3").await),
        ["陈思明"]
    );
    assert_eq!(
        names(q("/api/v1/members?taiwan_origin=true").await),
        ["林湖里"]
    );
    assert_eq!(
        names(q("/api/v1/members?subdistrict=jialian").await),
        ["陈思明"]
    );
    assert_eq!(
        names(q("/api/v1/members?q=%E6%80%9D%E6%98%8E").await),
        ["陈思明"]
    );
    assert_eq!(
        names(q("/api/v1/members?status=retired").await),
        Vec::<String>::new()
    );
    let v = q("/api/v1/members?district=siming").await;
    assert_eq!(v["items"][0]["specialties"], json!(["法律", "调解"]));
    // A subdistrict of another district is refused.
    let mut bad = new_member("x", "siming");
    bad["workplace_subdistrict"] = json!("dianqian");
    let r = t.post("/api/v1/members", &a, &bad).await;
    assert_eq!(fields(&problem(r, 422).await), ["workplace_subdistrict"]);
    t.stop().await;
}

#[actix_web::test]
async fn name_search_finds_two_character_chinese_words_and_follows_renames() {
    let t = TestStack::start().await;
    t.seed().await;
    let a = admin();
    let mut ids = std::collections::HashMap::new();
    for (name, district) in [
        ("张伟", "siming"),
        ("张伟华", "siming"),
        ("王伟", "huli"),
        ("欧阳小明", "huli"),
        ("Li Wei 李伟", "siming"),
    ] {
        let m = create_ok(&t, &a, new_member(name, district)).await;
        ids.insert(name, m["id"].as_str().unwrap().to_string());
    }
    let found = |query: &str| {
        let t = &t;
        let a = a.clone();
        let path = format!("/api/v1/members?{query}");
        async move {
            let v: Value = t.get(&path, &a).await.json().await.unwrap();
            let mut names: Vec<String> = v["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{path}: {v}"))
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            names
        }
    };
    let q = |s: &str| serde_urlencoded::to_string([("q", s)]).unwrap();
    // A two-character name is found inside a longer one, never by one of its characters alone.
    assert_eq!(found(&q("张伟")).await, ["张伟", "张伟华"]);
    assert_eq!(found(&q("伟华")).await, ["张伟华"]);
    assert!(found(&q("张华")).await.is_empty(), "not side by side");
    assert_eq!(found(&q("王伟")).await, ["王伟"]);
    // One character finds every name holding it.
    assert_eq!(
        found(&q("伟")).await,
        ["Li Wei 李伟", "张伟", "张伟华", "王伟"]
    );
    assert_eq!(found(&q("小明")).await, ["欧阳小明"]);
    assert_eq!(found(&q("欧阳")).await, ["欧阳小明"]);
    // Latin words match from their start, in any case; mixed queries need every part.
    assert_eq!(found(&q("wei")).await, ["Li Wei 李伟"]);
    assert_eq!(found(&q("LI 李伟")).await, ["Li Wei 李伟"]);
    assert!(found(&q("ei")).await.is_empty());
    // With other filters and pages.
    assert_eq!(found(&format!("{}&district=huli", q("伟"))).await, ["王伟"]);
    assert!(
        found(&format!("{}&district=huli", q("张伟")))
            .await
            .is_empty()
    );
    let first: Value = t
        .get(&format!("/api/v1/members?{}&limit=2", q("伟")), &a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second: Value = t
        .get(
            &format!("/api/v1/members?{}&limit=2&cursor={cursor}", q("伟")),
            &a,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);

    // A rename is searchable at once, and the old name no longer finds the member.
    let r = t
        .req(
            Method::PATCH,
            &format!("/api/v1/members/{}", ids["王伟"]),
            &a,
        )
        .json(&json!({"version": 1, "name": "王小强"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(found(&q("王伟")).await.is_empty());
    assert_eq!(found(&q("小强")).await, ["王小强"]);
    // A patch that leaves the name alone leaves it findable.
    let r = t
        .req(
            Method::PATCH,
            &format!("/api/v1/members/{}", ids["张伟"]),
            &a,
        )
        .json(&json!({"version": 1, "phone": "13900001111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(found(&q("张伟")).await, ["张伟", "张伟华"]);

    // Nothing searchable in the query: schema-valid, but nothing to search for, a 422 naming
    // it; over 100 characters the schema refuses (400). Blank is no filter.
    let p = problem(
        t.get(&format!("/api/v1/members?{}", q("%_，")), &a).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["q"]);
    let p = problem(
        t.get(&format!("/api/v1/members?{}", q(&"张".repeat(101))), &a)
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["q"]);
    assert_eq!(found(&q("  ")).await.len(), 5);
    t.stop().await;
}

#[actix_web::test]
async fn reference_data_is_managed_within_scope() {
    let t = TestStack::start().await;
    t.seed().await;
    let c = json!({"code": "lianhua", "subdistrict": "jialian", "name": "莲花社区"});
    problem(t.post("/api/v1/communities", &staff("huli"), &c).await, 403).await;
    assert_eq!(
        t.post("/api/v1/communities", &staff("siming"), &c)
            .await
            .status(),
        201
    );
    problem(
        t.post("/api/v1/communities", &staff("siming"), &c).await,
        409,
    )
    .await;
    let bad = json!({"code": "x1", "subdistrict": "nowhere", "name": "无"});
    assert_eq!(
        fields(&problem(t.post("/api/v1/communities", &admin(), &bad).await, 422).await),
        ["subdistrict"]
    );
    // Only admins create districts and sectors.
    let d = json!({"code": "jimei", "name": "集美区"});
    problem(t.post("/api/v1/districts", &staff("siming"), &d).await, 403).await;
    let list: Value = t
        .get("/api/v1/communities?district=siming", &staff("huli"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["code"], "lianhua");
    let list: Value = t
        .get("/api/v1/communities?district=huli", &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let subs: Value = t
        .get("/api/v1/subdistricts?district=huli", &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs["items"][0]["kind"], "subdistrict");
    // Only the filters a list documents are taken: subdistricts have no `subdistrict`.
    let p = problem(
        t.get("/api/v1/subdistricts?subdistrict=jialian", &admin())
            .await,
        400,
    )
    .await;
    assert!(p.to_string().contains("subdistrict"), "{p}");
    let p = problem(t.get("/api/v1/communities?limit=0", &admin()).await, 400).await;
    assert_eq!(fields(&p), ["limit"], "{p}");
    t.stop().await;
}

#[actix_web::test]
async fn reference_entries_are_renamed_with_their_version_within_scope() {
    let t = TestStack::start().await;
    t.seed().await;
    let rename = |path: &str, token: String, version: &str, name: &str| {
        t.req(Method::PATCH, path, &token)
            .header("If-Match", version)
            .json(&json!({"name": name}))
            .send()
    };
    // A district's office staff rename its subdistricts; another district's may not.
    problem(
        rename("/api/v1/subdistricts/jialian", staff("huli"), "\"1\"", "x")
            .await
            .unwrap(),
        403,
    )
    .await;
    let r = rename(
        "/api/v1/subdistricts/jialian",
        staff("siming"),
        "\"1\"",
        "嘉莲街道（新）",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "嘉莲街道（新）");
    assert_eq!(v["district"], "siming", "the parent does not change");
    problem(
        rename(
            "/api/v1/subdistricts/jialian",
            staff("siming"),
            "\"1\"",
            "stale",
        )
        .await
        .unwrap(),
        412,
    )
    .await;
    let r = t
        .req(
            Method::PATCH,
            "/api/v1/subdistricts/jialian",
            &staff("siming"),
        )
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    problem(r, 428).await;
    let r = t
        .req(
            Method::PATCH,
            "/api/v1/subdistricts/jialian",
            &staff("siming"),
        )
        .json(&json!({"version": 2, "name": "x", "code": "renamed"}))
        .send()
        .await
        .unwrap();
    problem(r, 400).await;
    let got: Value = t
        .get("/api/v1/subdistricts/jialian", &staff("huli"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "嘉莲街道（新）");
    assert_eq!(got["version"], 2);

    // Sectors and districts are the admins'.
    problem(
        rename("/api/v1/sectors/economy", staff("siming"), "\"1\"", "x")
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(
        rename("/api/v1/sectors/economy", admin(), "\"1\"", "经济界别")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        t.get("/api/v1/sectors/economy", &staff("huli"))
            .await
            .json::<Value>()
            .await
            .unwrap()["name"],
        "经济界别"
    );
    problem(
        rename("/api/v1/districts/huli", staff("huli"), "\"1\"", "x")
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(
        rename("/api/v1/districts/huli", admin(), "\"1\"", "湖里")
            .await
            .unwrap()
            .status(),
        200
    );

    // Communities follow their subdistrict's district.
    let c = json!({"code": "lianhua", "subdistrict": "jialian", "name": "莲花社区"});
    assert_eq!(
        t.post("/api/v1/communities", &staff("siming"), &c)
            .await
            .status(),
        201
    );
    problem(
        rename("/api/v1/communities/lianhua", staff("huli"), "\"1\"", "x")
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(
        rename(
            "/api/v1/communities/lianhua",
            staff("siming"),
            "\"1\"",
            "莲花"
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        t.get("/api/v1/communities/lianhua", &admin())
            .await
            .json::<Value>()
            .await
            .unwrap()["name"],
        "莲花"
    );
    problem(
        rename("/api/v1/communities/nowhere", admin(), "\"1\"", "x")
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(t.get("/api/v1/sectors/nowhere", &admin()).await, 404).await;
    t.stop().await;
}

/// The first record's cells by column name.
fn column<'a>(records: &'a [Vec<String>], row: usize, name: &str) -> &'a str {
    let i = records[0].iter().position(|h| h == name).unwrap();
    &records[row][i]
}

#[actix_web::test]
async fn the_member_list_exports_as_csv_with_its_filters_and_masking() {
    let t = TestStack::start().await;
    t.seed().await;
    let siming = staff("siming");
    let mut body = new_member("王委员", "siming");
    body["specialties"] = json!(["法律咨询", "调解"]);
    body["affiliation"] = json!("民盟, 思明支部");
    let first = create_ok(&t, &siming, body).await;
    let formula = create_ok(&t, &siming, new_member("=HYPERLINK(\"x\")", "siming")).await;
    let mut body = new_member("欧阳娜娜", "siming");
    body["phone"] = json!("+8613900001111");
    create_ok(&t, &siming, body).await;
    create_ok(&t, &staff("huli"), new_member("湖里委员", "huli")).await;

    // A citywide dashboard exports Siming's members: every one, masked as in JSON.
    let dashboard = xs_testkit::token("dash", &[xs_kit::Role::Dashboard], None);
    let (records, _) = get_csv(&t, "/api/v1/members?district=siming", &dashboard).await;
    assert_eq!(records[0][..3], ["id", "name", "gender"]);
    assert_eq!(records.len(), 4, "header and three members");
    assert_eq!(column(&records, 1, "id"), first["id"].as_str().unwrap());
    assert_eq!(column(&records, 1, "name"), "王委员");
    assert_eq!(column(&records, 1, "specialties"), "法律咨询; 调解");
    assert_eq!(column(&records, 1, "affiliation"), "民盟, 思明支部");
    assert_eq!(column(&records, 1, "phone"), "138****1234");
    assert_eq!(column(&records, 1, "phone_masked"), "true");
    assert_eq!(column(&records, 1, "birth_year"), "");
    assert_eq!(column(&records, 2, "id"), formula["id"].as_str().unwrap());
    assert_eq!(
        column(&records, 2, "name"),
        "'=HYPERLINK(\"x\")",
        "a formula is neutralised"
    );
    assert_eq!(column(&records, 3, "name"), "欧阳娜娜");
    assert_eq!(
        column(&records, 3, "phone"),
        "'+86****1111",
        "masked, then neutralised"
    );
    // The list's other filters apply too.
    let (records, _) = get_csv(&t, "/api/v1/members?q=%E6%AC%A7%E9%98%B3", &admin()).await;
    assert_eq!(records.len(), 2);
    assert_eq!(
        column(&records, 1, "phone"),
        "'+8613900001111",
        "neutralised"
    );
    // Only the JSON list pages; `limit` is refused for CSV (422: the schema cannot tie it to
    // `Accept`), and roles still apply.
    let r = t
        .req(Method::GET, "/api/v1/members?limit=10", &admin())
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(r, 422).await), ["limit"]);
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    let r = t
        .req(Method::GET, "/api/v1/members", &resident)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    t.stop().await;
}

#[actix_web::test]
async fn whole_phones_served_to_others_are_audited() {
    let t = TestStack::start().await;
    t.seed().await;
    let siming = staff("siming");
    let m = create_ok(&t, &siming, new_member("李委员", "siming")).await;
    let id = m["id"].as_str().unwrap().to_string();
    let other = create_ok(&t, &siming, new_member("张委员", "siming")).await;
    let other = other["id"].as_str().unwrap().to_string();
    assert!(
        personal_data_reads(&t, "").await.is_empty(),
        "creating is not reading"
    );

    // Masked reads, and a member reading their own number, leave no trace.
    let path = format!("/api/v1/members/{id}");
    let dashboard = xs_testkit::token("dash", &[xs_kit::Role::Dashboard], None);
    for token in [dashboard, member_token(&id, "siming")] {
        assert_eq!(t.get(&path, &token).await.status(), 200);
    }
    t.get(&format!("{path}/card"), &staff("huli")).await;
    t.get("/api/v1/members", &staff("huli")).await;
    assert!(personal_data_reads(&t, "").await.is_empty());

    // Staff of the member's district read the number: one row per read, with who and which request.
    let r = t.get(&path, &siming).await;
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.json::<Value>().await.unwrap()["phone"], "13812341234");
    let rows = personal_data_reads(&t, "").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["reader"], "staff-siming");
    assert_eq!(rows[0]["reader_roles"], json!(["office_staff"]));
    assert_eq!(rows[0]["reader_district"], "siming");
    assert_eq!(rows[0]["subject_kind"], "member");
    assert_eq!(rows[0]["subject_id"], json!(id));
    // Every personal field served whole is named, not only the phone.
    assert_eq!(rows[0]["fields"], json!(["phone", "gender"]));
    assert_eq!(rows[0]["request_id"], json!(rid));
    // Cards, lists, CSV and the answer to an update are reads too.
    t.get(&format!("{path}/card"), &siming).await;
    t.get("/api/v1/members", &admin()).await;
    let (_, csv_rid) = get_csv(&t, "/api/v1/members", &siming).await;
    let r = t
        .req(Method::PATCH, &path, &siming)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "李委员二"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rows = personal_data_reads(&t, &format!("?subject_kind=member&subject_id={id}")).await;
    assert_eq!(rows.len(), 5, "get, card, list, CSV, update");
    let by_admin = personal_data_reads(&t, "?reader=admin-1").await;
    let subjects: std::collections::BTreeSet<&str> = by_admin
        .iter()
        .map(|r| r["subject_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [id.as_str(), other.as_str()].into_iter().collect()
    );
    let in_csv = personal_data_reads(&t, "?reader=staff-siming")
        .await
        .into_iter()
        .filter(|r| r["request_id"] == json!(csv_rid))
        .count();
    assert_eq!(in_csv, 2, "an export records each member it shows whole");

    // Only admins read the audit.
    let audit = "/api/v1/audit/membership/personal-data-reads";
    problem(t.get(audit, &siming).await, 403).await;
    let resident = xs_testkit::token("r1", &[xs_kit::Role::Resident], Some("siming"));
    problem(t.get(audit, &resident).await, 403).await;
    let r = t.client.get(t.url(audit)).send().await.unwrap();
    problem(r, 401).await;
    t.stop().await;
}

/// Minimum necessary: gender, birth year and where a member lives and works are for the
/// member's district staff and the member; everyone else who reads the register sees them
/// withheld (`null`), in lists, single reads and CSV alike.
#[actix_web::test]
async fn profile_fields_are_withheld_outside_the_members_district() {
    let t = TestStack::start().await;
    t.seed().await;
    let mut body = new_member("周委员", "siming");
    body["birth_year"] = serde_json::json!(1970);
    let m = create_ok(&t, &staff("siming"), body).await;
    let id = m["id"].as_str().unwrap().to_string();
    let profile = [
        "gender",
        "birth_year",
        "residence_subdistrict",
        "workplace_subdistrict",
    ];
    assert!(
        m["gender"].is_string() && m["birth_year"].is_number(),
        "{m}"
    );
    for token in [staff("siming"), admin(), member_token(&id, "siming")] {
        let v: Value = t
            .get(&format!("/api/v1/members/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["birth_year"], m["birth_year"], "{v}");
        assert_eq!(v["gender"], m["gender"], "{v}");
    }
    for token in [
        xs_testkit::token("it-siming", &[xs_kit::Role::Integrator], Some("siming")),
        member_token("someone-else", "siming"),
        xs_testkit::token("dash", &[xs_kit::Role::Dashboard], None),
    ] {
        let v: Value = t
            .get(&format!("/api/v1/members/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        for f in profile {
            assert!(v[f].is_null(), "{f} withheld: {v}");
        }
        assert_eq!(v["name"], "周委员");
        let list: Value = t
            .get("/api/v1/members?district=siming", &token)
            .await
            .json()
            .await
            .unwrap();
        for f in profile {
            assert!(
                list["items"][0][f].is_null(),
                "{f} withheld in lists: {list}"
            );
        }
    }
    t.stop().await;
}
