//! Table tests: each validation problem is reported, on the right step, and nothing else.

use pinsync_core::canvas::ProblemCode;
use serde_json::{Value, json};

use crate::fixtures::{canvas_wide, example_json, example_with, on, problem_keys};

type Expected = Vec<(Option<String>, ProblemCode)>;

fn assert_problems(description: &str, change: impl FnOnce(&mut Value), expected: Expected) {
    let canvas = example_with(change);
    let mut expected = expected;
    expected.sort();
    assert_eq!(problem_keys(&canvas), expected, "{description}");
}

fn push_step(canvas: &mut Value, step: Value) {
    canvas["steps"].as_array_mut().unwrap().push(step);
}

#[test]
fn the_documented_example_has_no_problems() {
    assert_eq!(
        problem_keys(&crate::fixtures::canvas_from(example_json())),
        vec![]
    );
}

#[test]
fn canvas_level_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "blank name",
        |c| c["name"] = json!("  "),
        vec![canvas_wide(CanvasNameEmpty)],
    );
    assert_problems(
        "no name at all",
        |c| {
            c.as_object_mut().unwrap().remove("name");
        },
        vec![canvas_wide(CanvasNameEmpty)],
    );
    assert_problems(
        "no steps",
        |c| c["steps"] = json!([]),
        vec![canvas_wide(NoSteps)],
    );
    assert_problems(
        "blank entry",
        |c| c["entry_step_id"] = json!(""),
        vec![canvas_wide(EntryStepMissing)],
    );
    assert_problems(
        "absent entry",
        |c| {
            c.as_object_mut().unwrap().remove("entry_step_id");
        },
        vec![canvas_wide(EntryStepMissing)],
    );
    assert_problems(
        "unknown entry",
        |c| c["entry_step_id"] = json!("nope"),
        vec![canvas_wide(EntryStepUnknown)],
    );
}

#[test]
fn step_id_and_name_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "duplicate id",
        |c| {
            push_step(
                c,
                json!({"id": "wait", "name": "Again", "type": "delay", "duration_seconds": 5}),
            )
        },
        vec![on("wait", DuplicateStepId)],
    );
    assert_problems(
        "empty id",
        |c| {
            c["steps"][3]["id"] = json!("");
            c["steps"][2]["yes"] = json!("");
        },
        vec![on("", StepIdEmpty)],
    );
    assert_problems(
        "id with spaces and punctuation",
        |c| {
            c["steps"][3]["id"] = json!("remove vip!");
            c["steps"][2]["yes"] = json!("remove vip!");
        },
        vec![on("remove vip!", StepIdInvalid)],
    );
    let long_id = "a".repeat(65);
    assert_problems(
        "id of 65 characters",
        |c| {
            c["steps"][3]["id"] = json!(long_id);
            c["steps"][2]["yes"] = json!(long_id);
        },
        vec![on(&long_id, StepIdTooLong)],
    );
    let longest_id = "b".repeat(64);
    assert_problems(
        "id of 64 characters",
        |c| {
            c["steps"][3]["id"] = json!(longest_id);
            c["steps"][2]["yes"] = json!(longest_id);
        },
        vec![],
    );
    assert_problems(
        "blank step name",
        |c| c["steps"][1]["name"] = json!(" "),
        vec![on("wait", StepNameEmpty)],
    );
}

#[test]
fn graph_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "dangling no",
        |c| c["steps"][2]["no"] = json!("ghost"),
        vec![on("is_gold", NextStepUnknown)],
    );
    assert_problems(
        "dangling next cuts off the rest",
        |c| c["steps"][1]["next"] = json!("ghost"),
        vec![
            on("wait", NextStepUnknown),
            on("is_gold", UnreachableStep),
            on("remove_vip", UnreachableStep),
        ],
    );
    assert_problems(
        "cycle through three steps",
        |c| c["steps"][3]["next"] = json!("wait"),
        vec![on("wait", Cycle)],
    );
    assert_problems(
        "step pointing at itself",
        |c| c["steps"][1]["next"] = json!("wait"),
        vec![
            on("wait", Cycle),
            on("is_gold", UnreachableStep),
            on("remove_vip", UnreachableStep),
        ],
    );
    assert_problems(
        "split whose both branches close the same cycle is reported once",
        |c| {
            c["steps"][2]["yes"] = json!("wait");
            c["steps"][2]["no"] = json!("wait");
        },
        vec![on("wait", Cycle), on("remove_vip", UnreachableStep)],
    );
    assert_problems(
        "orphan step",
        |c| {
            push_step(
                c,
                json!({"id": "orphan", "name": "Orphan", "type": "delay", "duration_seconds": 60}),
            )
        },
        vec![on("orphan", UnreachableStep)],
    );
}

#[test]
fn a_cycle_problem_names_the_steps_on_the_cycle_in_order() {
    let canvas = example_with(|c| c["steps"][3]["next"] = json!("wait"));
    let problems = canvas.validate();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .contains("wait → is_gold → remove_vip → wait"),
        "{}",
        problems[0].message
    );
}

#[test]
fn audience_sync_settings_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "other partner",
        |c| c["steps"][0]["partner"] = json!("tiktok"),
        vec![on("add_vip", PartnerUnsupported)],
    );
    assert_problems(
        "no partner",
        |c| {
            c["steps"][0].as_object_mut().unwrap().remove("partner");
        },
        vec![on("add_vip", PartnerUnsupported)],
    );
    assert_problems(
        "no ad account, so the referring step is on another account",
        |c| c["steps"][0]["ad_account_id"] = json!(""),
        vec![
            on("add_vip", AdAccountMissing),
            on("remove_vip", AudienceStepOtherAdAccount),
        ],
    );
    assert_problems(
        "non-numeric ad accounts",
        |c| {
            c["steps"][0]["ad_account_id"] = json!("act_1");
            c["steps"][3]["ad_account_id"] = json!("act_1");
        },
        vec![
            on("add_vip", AdAccountInvalid),
            on("remove_vip", AdAccountInvalid),
        ],
    );
    assert_problems(
        "no match fields",
        |c| c["steps"][0]["match_fields"] = json!([]),
        vec![on("add_vip", MatchFieldsEmpty)],
    );
    assert_problems(
        "absent match fields",
        |c| {
            c["steps"][3]
                .as_object_mut()
                .unwrap()
                .remove("match_fields");
        },
        vec![on("remove_vip", MatchFieldsEmpty)],
    );
    assert_problems(
        "repeated match field",
        |c| c["steps"][0]["match_fields"] = json!(["email", "idfa", "email"]),
        vec![on("add_vip", MatchFieldDuplicate)],
    );
}

#[test]
fn audience_choice_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "no audience",
        |c| {
            c["steps"][0].as_object_mut().unwrap().remove("audience");
        },
        vec![on("add_vip", AudienceMissing)],
    );
    assert_problems(
        "blank new name",
        |c| c["steps"][0]["audience"] = json!({"new": {"name": " "}}),
        vec![on("add_vip", AudienceNameEmpty)],
    );
    assert_problems(
        "new without name",
        |c| c["steps"][0]["audience"] = json!({"new": {}}),
        vec![on("add_vip", AudienceNameEmpty)],
    );
    assert_problems(
        "blank existing id",
        |c| c["steps"][0]["audience"] = json!({"existing": {"audience_id": ""}}),
        vec![on("add_vip", AudienceIdMissing)],
    );
    assert_problems(
        "non-numeric existing id",
        |c| c["steps"][0]["audience"] = json!({"existing": {"audience_id": "vip"}}),
        vec![on("add_vip", AudienceIdInvalid)],
    );
    assert_problems(
        "numeric existing id",
        |c| c["steps"][0]["audience"] = json!({"existing": {"audience_id": "2542623499806"}}),
        vec![],
    );
}

#[test]
fn audience_step_reference_problems_are_reported() {
    use ProblemCode::*;
    assert_problems(
        "reference to no step",
        |c| c["steps"][3]["audience"] = json!({"step": "ghost"}),
        vec![on("remove_vip", AudienceStepUnknown)],
    );
    assert_problems(
        "reference to a delay",
        |c| c["steps"][3]["audience"] = json!({"step": "wait"}),
        vec![on("remove_vip", AudienceStepUnknown)],
    );
    assert_problems(
        "reference to itself",
        |c| c["steps"][3]["audience"] = json!({"step": "remove_vip"}),
        vec![on("remove_vip", AudienceStepSelf)],
    );
    assert_problems(
        "references in a chain",
        |c| c["steps"][0]["audience"] = json!({"step": "remove_vip"}),
        vec![
            on("add_vip", AudienceStepChained),
            on("remove_vip", AudienceStepChained),
        ],
    );
    assert_problems(
        "reference across ad accounts",
        |c| c["steps"][3]["ad_account_id"] = json!("111"),
        vec![on("remove_vip", AudienceStepOtherAdAccount)],
    );
    assert_problems(
        "adding to a referenced audience is allowed",
        |c| c["steps"][3]["action"] = json!("add"),
        vec![],
    );
}

#[test]
fn delay_and_condition_problems_are_reported() {
    use ProblemCode::*;
    let year = 365 * 24 * 60 * 60;
    assert_problems(
        "zero delay",
        |c| c["steps"][1]["duration_seconds"] = json!(0),
        vec![on("wait", DelayZero)],
    );
    assert_problems(
        "delay of a year and a second",
        |c| c["steps"][1]["duration_seconds"] = json!(year + 1),
        vec![on("wait", DelayTooLong)],
    );
    assert_problems(
        "delay of exactly a year",
        |c| c["steps"][1]["duration_seconds"] = json!(year),
        vec![],
    );
    assert_problems(
        "blank attribute",
        |c| c["steps"][2]["condition"]["attribute"] = json!(""),
        vec![on("is_gold", ConditionAttributeEmpty)],
    );
    assert_problems(
        "equals without value",
        |c| c["steps"][2]["condition"] = json!({"attribute": "plan", "op": "equals"}),
        vec![on("is_gold", ConditionValueMissing)],
    );
    assert_problems(
        "greater_than without value",
        |c| c["steps"][2]["condition"] = json!({"attribute": "spend", "op": "greater_than"}),
        vec![on("is_gold", ConditionValueNotComparable)],
    );
    assert_problems(
        "greater_than a boolean",
        |c| {
            c["steps"][2]["condition"] =
                json!({"attribute": "spend", "op": "greater_than", "value": true})
        },
        vec![on("is_gold", ConditionValueNotComparable)],
    );
    assert_problems(
        "greater_than a date",
        |c| c["steps"][2]["condition"] = json!({"attribute": "last_seen", "op": "greater_than", "value": "2026-01-01T00:00:00Z"}),
        vec![],
    );
    assert_problems(
        "exists needs no value",
        |c| c["steps"][2]["condition"] = json!({"attribute": "plan", "op": "exists"}),
        vec![],
    );
}

#[test]
fn a_canvas_with_several_problems_reports_every_one() {
    use ProblemCode::*;
    assert_problems(
        "many problems",
        |c| {
            c["name"] = json!("");
            c["steps"][0]["partner"] = json!("meta");
            c["steps"][0]["match_fields"] = json!([]);
            c["steps"][1]["duration_seconds"] = json!(0);
            c["steps"][2]["condition"]["attribute"] = json!("");
            c["steps"][2]["no"] = json!("nowhere");
            c["steps"][3]["audience"] = json!({"step": "ghost"});
        },
        vec![
            canvas_wide(CanvasNameEmpty),
            on("add_vip", PartnerUnsupported),
            on("add_vip", MatchFieldsEmpty),
            on("wait", DelayZero),
            on("is_gold", ConditionAttributeEmpty),
            on("is_gold", NextStepUnknown),
            on("remove_vip", AudienceStepUnknown),
        ],
    );
}

#[test]
fn every_problem_message_is_a_sentence_that_says_what_to_do() {
    let canvas = example_with(|c| {
        c["name"] = json!("");
        c["entry_step_id"] = json!("nowhere");
        c["steps"][0]["ad_account_id"] = json!("x");
        c["steps"][0]["audience"] = json!({"existing": {"audience_id": "y"}});
        c["steps"][3]["next"] = json!("wait");
    });
    let problems = canvas.validate();
    assert!(problems.len() >= 4, "{problems:?}");
    for problem in problems {
        assert!(problem.message.ends_with('.'), "{problem}");
        assert!(problem.message.contains(':'), "{problem}");
    }
}
