//! The Canvas JSON form: reading, writing back, errors that point at the field, and the
//! navigation helpers over a parsed Canvas.

use pinsync_core::canvas::{
    AudienceRef, CanvasDefinition, ConditionOp, CreatedAudience, ReentryPolicy, StepId, StepKind,
    SyncAction,
};
use pinsync_core::identifier::IdentifierKind;
use serde_json::json;

use crate::fixtures::{example_json, example_with};

fn example() -> CanvasDefinition {
    CanvasDefinition::parse_json(&example_json().to_string()).unwrap()
}

#[test]
fn the_example_parses_into_the_expected_model() {
    let canvas = example();
    assert_eq!(canvas.name, "VIP retargeting");
    assert_eq!(canvas.entry_step_id, StepId::new("add_vip"));
    assert_eq!(canvas.reentry, ReentryPolicy::Never);
    assert_eq!(canvas.steps.len(), 4);
    let StepKind::AudienceSync(add) = &canvas.steps[0].kind else {
        panic!("first step should be an audience sync");
    };
    assert_eq!(add.partner, "pinterest");
    assert_eq!(add.action, SyncAction::Add);
    assert_eq!(
        add.match_fields,
        [IdentifierKind::Email, IdentifierKind::Gaid]
    );
    assert_eq!(
        add.audience,
        Some(AudienceRef::New {
            name: "VIP buyers".to_owned(),
            created: None
        })
    );
    let StepKind::Delay(wait) = &canvas.steps[1].kind else {
        panic!("second step should be a delay");
    };
    assert_eq!(wait.duration_seconds, 86_400);
    let StepKind::DecisionSplit(split) = &canvas.steps[2].kind else {
        panic!("third step should be a decision split");
    };
    assert_eq!(split.condition.op, ConditionOp::Equals);
    assert_eq!(split.yes, Some(StepId::new("remove_vip")));
    assert_eq!(split.no, None);
}

#[test]
fn a_canvas_survives_a_round_trip_through_json() {
    let original = example_with(|c| {
        c["reentry"] = json!("after_exit");
        c["steps"][0]["audience"] = json!({"new": {"name": "VIP buyers",
            "created": {"audience_id": "2542623499806", "customer_list_id": "4"}}});
    });
    let text = serde_json::to_string_pretty(&original).unwrap();
    let back = CanvasDefinition::parse_json(&text).unwrap();
    assert_eq!(back, original);
    let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reparsed["steps"][3]["audience"], json!({"step": "add_vip"}));
    assert_eq!(reparsed["steps"][0]["type"], json!("audience_sync"));
    assert_eq!(reparsed["reentry"], json!("after_exit"));
}

#[test]
fn a_created_audience_records_its_pinterest_ids() {
    let canvas = example_with(|c| {
        c["steps"][0]["audience"] = json!({"new": {"name": "VIP buyers",
            "created": {"audience_id": "2542623499806", "customer_list_id": "7"}}});
    });
    let sync = canvas.steps[0].as_audience_sync().unwrap();
    let Some(AudienceRef::New {
        created: Some(created),
        ..
    }) = &sync.audience
    else {
        panic!("expected a created new audience");
    };
    assert_eq!(
        created,
        &CreatedAudience {
            audience_id: "2542623499806".into(),
            customer_list_id: "7".into()
        }
    );
    assert_eq!(
        sync.audience.as_ref().unwrap().audience_id(),
        Some("2542623499806")
    );
}

#[test]
fn reentry_defaults_to_never_and_absent_next_ends_the_branch() {
    let canvas = example_with(|c| {
        c.as_object_mut().unwrap().remove("reentry");
        c["steps"][3].as_object_mut().unwrap().remove("next");
    });
    assert_eq!(canvas.reentry, ReentryPolicy::Never);
    assert!(canvas.next_steps("remove_vip").is_empty());
}

#[test]
fn a_parse_error_names_the_line_column_and_field() {
    let text = "{\n  \"name\": \"x\",\n  \"entry_step_id\": \"a\",\n  \"steps\": [\n    {\"id\": \"a\", \"name\": \"A\", \"type\": \"delay\", \"duration_seconds\": \"soon\"}]\n}";
    let error = CanvasDefinition::parse_json(text).unwrap_err();
    assert_eq!(error.line, 5);
    assert_eq!(error.field, "steps[0].duration_seconds", "{error}");
    let message = error.to_string();
    assert!(message.contains("line 5"), "{message}");
    assert!(message.contains("steps[0].duration_seconds"), "{message}");
    assert!(message.contains("expected u64"), "{message}");
}

#[test]
fn errors_deep_inside_a_step_name_the_full_path() {
    let cases = [
        (
            json!({"existing": {"audience_id": 5}}),
            "steps[0].audience.existing.audience_id",
        ),
        (
            json!({"new": {"name": "n", "created": {"audience_id": "1"}}}),
            "steps[0].audience.new.created",
        ),
        (json!({"elsewhere": {}}), "steps[0].audience"),
    ];
    for (audience, field) in cases {
        let mut json = example_json();
        json["steps"][0]["audience"] = audience;
        let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
        assert_eq!(error.field, field, "{error}");
    }
    let mut json = example_json();
    json["steps"][2]["condition"]["op"] = json!("less_than");
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert_eq!(error.field, "steps[2].condition.op");
    assert!(error.detail.contains("less_than"), "{error}");
}

#[test]
fn a_step_without_a_known_type_is_named() {
    let mut json = example_json();
    json["steps"][1].as_object_mut().unwrap().remove("type");
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert_eq!(error.field, "steps[1]");
    assert!(error.detail.contains("missing field `type`"), "{error}");
    json["steps"][1]["type"] = json!(7);
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert_eq!(error.field, "steps[1].type", "{error}");
    json["steps"][1]["id"] = json!(["wait"]);
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert_eq!(error.field, "steps[1].id", "{error}");
}

#[test]
fn a_wrongly_typed_top_level_field_is_named() {
    let error = CanvasDefinition::parse_json(r#"{"name": 5, "steps": []}"#).unwrap_err();
    assert_eq!(error.field, "name");
    assert_eq!(error.line, 1);
    assert!(error.column > 0);
}

#[test]
fn unknown_fields_and_step_types_are_parse_errors() {
    let misspelled = example_with(|_| {});
    let mut json = serde_json::to_value(&misspelled).unwrap();
    json["steps"][0]["mach_fields"] = json!(["email"]);
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("mach_fields"), "{error}");

    let mut json = example_json();
    json["steps"][1]["type"] = json!("webhook");
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("webhook"), "{error}");

    let mut json = example_json();
    json["colour"] = json!("red");
    let error = CanvasDefinition::parse_json(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("colour"), "{error}");
}

#[test]
fn trailing_text_and_broken_json_are_parse_errors() {
    let error = CanvasDefinition::parse_json("{} {}").unwrap_err();
    assert_eq!(error.field, ".");
    assert!(CanvasDefinition::parse_json("{\"name\": ").is_err());
    assert!(CanvasDefinition::parse_json("").is_err());
}

#[test]
fn the_example_in_the_docs_parses_and_validates_clean() {
    let docs = include_str!("../../../../docs/canvas.md");
    let start = docs
        .find("```json\n")
        .expect("docs/canvas.md has a json block")
        + 8;
    let length = docs[start..].find("```").expect("the json block is closed");
    let canvas = CanvasDefinition::parse_json(&docs[start..start + length]).unwrap();
    assert_eq!(canvas.validate(), vec![]);
    assert_eq!(canvas.steps.len(), 4);
}

#[test]
fn next_steps_follow_next_and_both_branches_of_a_split() {
    let canvas = example_with(|c| c["steps"][2]["no"] = json!("wait"));
    let ids = |id: &str| -> Vec<String> {
        canvas
            .next_steps(id)
            .iter()
            .map(|step| step.id.0.clone())
            .collect()
    };
    assert_eq!(ids("add_vip"), ["wait"]);
    assert_eq!(ids("is_gold"), ["remove_vip", "wait"]);
    assert!(ids("remove_vip").is_empty());
    assert!(ids("ghost").is_empty());
}

#[test]
fn a_split_sends_users_by_their_attributes() {
    let canvas = example();
    let split = canvas.step("is_gold").unwrap();
    let gold = json!({"plan": "gold"}).as_object().unwrap().clone();
    let silver = json!({"plan": "silver"}).as_object().unwrap().clone();
    assert_eq!(split.next_for(&gold), Some(&StepId::new("remove_vip")));
    assert_eq!(split.next_for(&silver), None);
    let wait = canvas.step("wait").unwrap();
    assert_eq!(wait.next_for(&silver), Some(&StepId::new("is_gold")));
}

#[test]
fn audience_sync_steps_lists_only_sync_steps_in_order() {
    let canvas = example();
    let ids: Vec<&str> = canvas
        .audience_sync_steps()
        .map(|(step, _)| step.id.as_str())
        .collect();
    assert_eq!(ids, ["add_vip", "remove_vip"]);
}

#[test]
fn resolve_audience_follows_a_step_reference_to_its_audience() {
    let canvas = example();
    let remove = canvas
        .step("remove_vip")
        .unwrap()
        .as_audience_sync()
        .unwrap();
    let add = canvas.step("add_vip").unwrap().as_audience_sync().unwrap();
    let expected = AudienceRef::New {
        name: "VIP buyers".into(),
        created: None,
    };
    assert_eq!(canvas.resolve_audience(remove), Some(&expected));
    assert_eq!(canvas.resolve_audience(add), Some(&expected));
}

#[test]
fn resolve_audience_gives_none_for_broken_references() {
    for target in ["ghost", "wait", "remove_vip"] {
        let canvas = example_with(|c| c["steps"][3]["audience"] = json!({"step": target}));
        let remove = canvas
            .step("remove_vip")
            .unwrap()
            .as_audience_sync()
            .unwrap();
        assert_eq!(canvas.resolve_audience(remove), None, "{target}");
    }
    let no_audience = example_with(|c| {
        c["steps"][0].as_object_mut().unwrap().remove("audience");
    });
    let add = no_audience
        .step("add_vip")
        .unwrap()
        .as_audience_sync()
        .unwrap();
    assert_eq!(no_audience.resolve_audience(add), None);
}
