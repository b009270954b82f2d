//! `transmem serve` on PostgreSQL commits the single-unit writes that
//! arrive together in one transaction (a group commit, issue 23's write
//! throughput), each request a savepoint and a batch of its own. Here:
//! many clients at once, each sending the same unit with
//! `on_duplicate=skip` beside one of its own, so that writes of one group
//! see each other's units. The unit is stored exactly once, every other
//! unit exactly once, and `history` holds one batch per request that
//! stored something. (A part rolled back alone inside a group is checked
//! at the store, `memory::postgres`' `parts_commit_together_and_roll_back_alone`.)
//!
//! PostgreSQL only: run when `TRANSMEM_TEST_DATABASE` is set (and said to
//! be skipped otherwise).

mod util;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use transmem::memory::Memory;
use util::{run_ok, text};

/// Clients at once, and requests each.
const CLIENTS: usize = 8;
const REQUESTS: usize = 25;

fn post(agent: &ureq::Agent, base: &str, token: &str, body: &Value) -> (u16, Value) {
    let mut resp = agent
        .post(format!("{base}/api/v1/units"))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {token}"))
        .send(body.to_string().as_bytes())
        .expect("request");
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    let v =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{status} not JSON ({e}): {body}"));
    (status, v)
}

#[test]
fn concurrent_skips_of_one_unit_store_it_once_and_one_batch_per_request() {
    let Some(base) = util::test_database("group commit on a PostgreSQL server") else {
        return;
    };
    let schema = util::PgSchema::new(&base);
    let db = || util::db(&schema.url, &[]);
    let out = run_ok(db().args(["token", "create", "--role", "write"]), 0);
    let token = text(&out.stdout).trim().to_string();
    let before = Memory::open_database(&schema.url).expect("open");
    let (units_before, batches_before, generation_before) = (
        before.unit_count().unwrap(),
        before.batches().unwrap().len(),
        before.stamp().unwrap().generation,
    );
    drop(before);
    let util::Spawned {
        mut child, addr, ..
    } = util::spawn_server(db(), &[]);
    let base_url = Arc::new(format!("http://{addr}"));
    let shared = json!({"variants": [
        {"lang": "en", "text": "Everyone sends this sentence."},
        {"lang": "ru", "text": "Все присылают это предложение."}]});
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base_url, token, shared) = (base_url.clone(), token.clone(), shared.clone());
            std::thread::spawn(move || {
                let agent = util::agent(120);
                let mut statuses = Vec::new();
                for i in 0..REQUESTS {
                    let own = json!({"variants": [
                        {"lang": "en", "text": format!("Client {c} sends line {i}.")},
                        {"lang": "ru", "text": format!("Клиент {c} присылает строку {i}.")}]});
                    let body = json!({"on_duplicate": "skip", "units": [shared, own]});
                    let (st, v) = post(&agent, &base_url, &token, &body);
                    assert_eq!(st, 201, "{v}");
                    assert_eq!(v["results"][1]["status"], "new", "{v}");
                    statuses.push(v["results"][0]["status"].as_str().unwrap().to_string());
                }
                statuses
            })
        })
        .collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for t in threads {
        for s in t.join().expect("client thread") {
            *seen.entry(s).or_default() += 1;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let n = CLIENTS * REQUESTS;
    // One request stored the shared unit; every other one found it there
    // (stored by a request of its own group or of an earlier one).
    assert_eq!(seen.get("new"), Some(&1), "{seen:?}");
    assert_eq!(
        seen.get("skipped").copied().unwrap_or(0) + seen.get("duplicate").copied().unwrap_or(0),
        n - 1,
        "{seen:?}"
    );
    let mem = Memory::open_database(&schema.url).expect("open");
    assert_eq!(mem.unit_count().unwrap(), units_before + 1 + n as u64);
    let mut texts = std::collections::HashSet::new();
    mem.for_each_unit(|u| {
        assert!(
            texts.insert(u.variants[0].text.clone()),
            "stored twice: {:?}",
            u.variants[0].text
        );
        Ok(())
    })
    .unwrap();
    // One batch per request, each with its own unit (and the shared one
    // in exactly one), numbered without gaps.
    let batches = mem.batches().unwrap();
    let new: Vec<_> = batches[batches_before..].to_vec();
    assert_eq!(new.len(), n, "one batch per request");
    assert!(
        new.iter()
            .all(|b| b.command == "POST /api/v1/units (2 units)")
    );
    assert_eq!(new.iter().map(|b| b.units).sum::<u64>(), n as u64 + 1);
    assert_eq!(new.iter().filter(|b| b.units == 2).count(), 1);
    // Requests shared commits: 8 clients writing without pause always
    // find others queued (each commit is one generation).
    let commits = mem.stamp().unwrap().generation - generation_before;
    assert!(
        commits < n as i64,
        "{commits} commits for {n} requests: no two were grouped"
    );
    let ids: Vec<i64> = batches.iter().map(|b| b.id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "batch ids with gaps: {ids:?}"
    );
}

/// A request that times out while its group waits for the write lock
/// stores nothing, and the request grouped with it is stored: another
/// session holds the write lock; A arrives (and leads a group that waits
/// for the lock), B arrives and joins it; A times out (503); the lock is
/// let go: the group commits B alone.
#[test]
fn a_request_that_timed_out_in_a_group_stores_nothing_and_its_neighbour_is_stored() {
    let Some(base) = util::test_database("a cancelled write in a group") else {
        return;
    };
    let schema = util::PgSchema::new(&base);
    let db = || util::db(&schema.url, &[]);
    let out = run_ok(db().args(["token", "create", "--role", "write"]), 0);
    let token = text(&out.stdout).trim().to_string();
    let generation = Memory::open_database(&schema.url)
        .and_then(|m| m.stamp())
        .expect("stamp")
        .generation;
    let util::Spawned {
        mut child, addr, ..
    } = util::spawn_server(db(), &["--request-timeout", "3"]);
    let base_url = Arc::new(format!("http://{addr}"));
    let mut holder = postgres::Client::connect(&schema.url, postgres::NoTls).expect("connect");
    holder
        .batch_execute("BEGIN; SELECT value FROM store_state WHERE key = 'generation' FOR UPDATE")
        .expect("hold the write lock");
    let send = |en: &'static str| {
        let (base_url, token) = (base_url.clone(), token.clone());
        std::thread::spawn(move || {
            let body = json!({"units": [{"variants": [
                {"lang": "en", "text": en}, {"lang": "ru", "text": "Ответ."}]}]});
            post(&util::agent(60), &base_url, &token, &body)
        })
    };
    let a = send("Request A times out.");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let b = send("Request B is stored.");
    // A's 3 s pass; B has 1.5 s left when the lock is let go.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    holder.batch_execute("COMMIT").expect("let the lock go");
    let (sa, va) = a.join().expect("client A");
    let (sb, vb) = b.join().expect("client B");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(sa, 503, "{va}");
    assert_eq!(sb, 201, "{vb}");
    let mem = Memory::open_database(&schema.url).expect("open");
    let mut texts = Vec::new();
    mem.for_each_unit(|u| {
        texts.push(u.variants[0].text.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(texts, ["Request B is stored."]);
    assert_eq!(
        mem.stamp().unwrap().generation,
        generation + 1,
        "one commit"
    );
    let batches = mem.batches().unwrap();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0].units, 1);
}
