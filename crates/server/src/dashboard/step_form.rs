//! The step editor's form: one flat set of fields for every step kind, read back into the
//! Canvas model. The model's own validation (at launch) judges the result; this module only
//! translates, so no rule is implemented twice.

use pinsync_core::canvas::{
    AudienceRef, AudienceSyncStep, Condition, ConditionOp, DecisionSplitStep, DelayStep,
    MatchField, PINTEREST_PARTNER, Step, StepId, StepKind, SyncAction,
};
use serde::Deserialize;

/// Everything a step form may post; fields of other kinds are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct StepFields {
    #[serde(default)]
    pub name: String,
    /// `save`, or `create_audience` for the "Create Audience" button.
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub partner: String,
    #[serde(default)]
    pub ad_account_id: String,
    /// `new`, `existing` or `step`.
    #[serde(default)]
    pub audience_mode: String,
    #[serde(default)]
    pub audience_name: String,
    #[serde(default)]
    pub audience_id: String,
    #[serde(default)]
    pub audience_step: String,
    #[serde(default)]
    pub action: String,
    pub match_email: Option<String>,
    pub match_gaid: Option<String>,
    pub match_idfa: Option<String>,
    #[serde(default)]
    pub next: String,
    #[serde(default)]
    pub duration_seconds: String,
    #[serde(default)]
    pub attribute: String,
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub yes: String,
    #[serde(default)]
    pub no: String,
}

fn step_ref(id: &str) -> Option<StepId> {
    let id = id.trim();
    (!id.is_empty()).then(|| StepId::new(id))
}

/// The step `current` with the form's values applied.
pub fn apply(current: &Step, fields: &StepFields) -> Result<Step, String> {
    let kind = match &current.kind {
        StepKind::AudienceSync(sync) => StepKind::AudienceSync(audience_sync(sync, fields)),
        StepKind::Delay(_) => StepKind::Delay(DelayStep {
            duration_seconds: fields.duration_seconds.trim().parse().map_err(|_| {
                "The delay must be a whole number of seconds (at least 1).".to_owned()
            })?,
            next: step_ref(&fields.next),
        }),
        StepKind::DecisionSplit(_) => StepKind::DecisionSplit(DecisionSplitStep {
            condition: condition(fields)?,
            yes: step_ref(&fields.yes),
            no: step_ref(&fields.no),
        }),
    };
    Ok(Step {
        id: current.id.clone(),
        name: fields.name.trim().to_owned(),
        kind,
    })
}

fn audience_sync(current: &AudienceSyncStep, fields: &StepFields) -> AudienceSyncStep {
    let audience = match fields.audience_mode.as_str() {
        "new" => {
            let name = fields.audience_name.trim().to_owned();
            // Keep what Pinterest created while the name and ad account are unchanged.
            let created = match &current.audience {
                Some(AudienceRef::New { name: old, created })
                    if *old == name && current.ad_account_id == fields.ad_account_id.trim() =>
                {
                    created.clone()
                }
                _ => None,
            };
            Some(AudienceRef::New { name, created })
        }
        "existing" => Some(AudienceRef::Existing {
            audience_id: fields.audience_id.trim().to_owned(),
        }),
        "step" => step_ref(&fields.audience_step).map(|step| AudienceRef::Step { step }),
        _ => None,
    };
    let mut match_fields = Vec::new();
    for (on, field) in [
        (&fields.match_email, MatchField::Email),
        (&fields.match_gaid, MatchField::Gaid),
        (&fields.match_idfa, MatchField::Idfa),
    ] {
        if on.is_some() {
            match_fields.push(field);
        }
    }
    AudienceSyncStep {
        partner: if fields.partner.is_empty() {
            PINTEREST_PARTNER.to_owned()
        } else {
            fields.partner.trim().to_owned()
        },
        ad_account_id: fields.ad_account_id.trim().to_owned(),
        audience,
        action: if fields.action == "remove" {
            SyncAction::Remove
        } else {
            SyncAction::Add
        },
        match_fields,
        next: step_ref(&fields.next),
    }
}

fn condition(fields: &StepFields) -> Result<Condition, String> {
    let op = match fields.op.as_str() {
        "exists" => ConditionOp::Exists,
        "greater_than" => ConditionOp::GreaterThan,
        _ => ConditionOp::Equals,
    };
    let text = fields.value.trim();
    let value = match op {
        ConditionOp::Exists => None,
        _ if text.is_empty() => None,
        // A number, true/false or quoted JSON is taken as JSON; anything else as text.
        _ => Some(
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into())),
        ),
    };
    Ok(Condition {
        attribute: fields.attribute.trim().to_owned(),
        op,
        value,
    })
}

/// A new step of `kind` named `name` with id `id`, pointing at `next`.
pub fn new_step(
    kind: &str,
    id: StepId,
    name: String,
    next: Option<StepId>,
) -> Result<Step, String> {
    let kind = match kind {
        "audience_sync" => StepKind::AudienceSync(AudienceSyncStep {
            partner: PINTEREST_PARTNER.to_owned(),
            ad_account_id: String::new(),
            audience: None,
            action: SyncAction::Add,
            match_fields: Vec::new(),
            next,
        }),
        "delay" => StepKind::Delay(DelayStep {
            duration_seconds: 3_600,
            next,
        }),
        "decision_split" => StepKind::DecisionSplit(DecisionSplitStep {
            condition: Condition {
                attribute: String::new(),
                op: ConditionOp::Exists,
                value: None,
            },
            yes: next,
            no: None,
        }),
        other => return Err(format!("There is no step type {other:?}.")),
    };
    Ok(Step { id, name, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync_step() -> Step {
        new_step("audience_sync", StepId::new("s1"), "Sync".into(), None).unwrap()
    }

    #[test]
    fn checked_match_fields_are_kept_in_preference_order() {
        let fields = StepFields {
            name: "Sync".into(),
            audience_mode: "new".into(),
            audience_name: "Buyers".into(),
            match_idfa: Some("on".into()),
            match_email: Some("on".into()),
            ..StepFields::default()
        };
        let step = apply(&sync_step(), &fields).unwrap();
        let sync = step.as_audience_sync().unwrap();
        assert_eq!(sync.match_fields, [MatchField::Email, MatchField::Idfa]);
        assert_eq!(sync.partner, PINTEREST_PARTNER);
        assert!(
            matches!(&sync.audience, Some(AudienceRef::New { name, created: None }) if name == "Buyers")
        );
    }

    #[test]
    fn a_created_audience_survives_a_save_with_the_same_name_only() {
        let mut step = sync_step();
        if let StepKind::AudienceSync(sync) = &mut step.kind {
            sync.audience = Some(AudienceRef::New {
                name: "Buyers".into(),
                created: Some(pinsync_core::canvas::CreatedAudience {
                    audience_id: "1".into(),
                    customer_list_id: "2".into(),
                }),
            });
        }
        let same = StepFields {
            audience_mode: "new".into(),
            audience_name: "Buyers".into(),
            ..StepFields::default()
        };
        let kept = apply(&step, &same).unwrap();
        assert_eq!(
            kept.as_audience_sync()
                .unwrap()
                .audience
                .as_ref()
                .unwrap()
                .audience_id(),
            Some("1")
        );
        let renamed = StepFields {
            audience_name: "Sellers".into(),
            ..same
        };
        let dropped = apply(&step, &renamed).unwrap();
        assert_eq!(
            dropped
                .as_audience_sync()
                .unwrap()
                .audience
                .as_ref()
                .unwrap()
                .audience_id(),
            None
        );
    }

    #[test]
    fn a_delay_that_is_not_a_number_is_refused_with_a_sentence() {
        let step = new_step("delay", StepId::new("d"), "Wait".into(), None).unwrap();
        let fields = StepFields {
            duration_seconds: "soon".into(),
            ..StepFields::default()
        };
        assert!(
            apply(&step, &fields)
                .unwrap_err()
                .contains("whole number of seconds")
        );
    }

    #[test]
    fn a_condition_value_is_json_when_it_parses_and_text_otherwise() {
        let step = new_step("decision_split", StepId::new("d"), "Split".into(), None).unwrap();
        let mut fields = StepFields {
            attribute: "plan".into(),
            op: "equals".into(),
            value: "gold".into(),
            ..StepFields::default()
        };
        let text = apply(&step, &fields).unwrap();
        let StepKind::DecisionSplit(split) = &text.kind else {
            unreachable!()
        };
        assert_eq!(split.condition.value, Some(serde_json::json!("gold")));
        fields.value = "42".into();
        let number = apply(&step, &fields).unwrap();
        let StepKind::DecisionSplit(split) = &number.kind else {
            unreachable!()
        };
        assert_eq!(split.condition.value, Some(serde_json::json!(42)));
    }
}
