//! The Canvas editor's view model: the Canvas, its steps in the order users meet them, the
//! choices of every select, and the notice at the top — shaped so the template stays plain.

use askama::Template;
use pinsync_core::canvas::{AudienceRef, ConditionOp, MatchField, StepKind, SyncAction};
use pinsync_store::{CanvasRecord, CanvasStatus};

use super::canvas_editor::{Outcome, problem_views};
use super::canvases::status_name;
use super::chrome::Chrome;
use super::step_graph::display_order;

/// One launch or save problem, linked to its step.
pub struct ProblemView {
    pub step_id: String,
    pub step_name: String,
    pub code: &'static str,
    pub message: String,
}

/// An option of a select: value and label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One step as the editor shows it; fields of other kinds are empty.
pub struct StepView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub is_entry: bool,
    pub ad_account_id: String,
    /// `new`, `existing`, `step` or empty.
    pub audience_mode: &'static str,
    pub audience_name: String,
    pub audience_id: String,
    pub audience_step: String,
    /// The Pinterest audience id once created (new audiences only).
    pub created_audience_id: String,
    pub action: &'static str,
    pub match_email: bool,
    pub match_gaid: bool,
    pub match_idfa: bool,
    pub duration_seconds: String,
    pub attribute: String,
    pub op: &'static str,
    pub value: String,
    pub next: String,
    pub yes: String,
    pub no: String,
    /// Other Audience Sync steps whose audience this one may use (e.g. to remove users).
    pub audience_step_choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "canvas_editor.html")]
pub struct EditorPage {
    pub chrome: Chrome,
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub editable: bool,
    pub launchable: bool,
    pub stoppable: bool,
    pub notice_kind: &'static str,
    pub notice: String,
    pub problems: Vec<ProblemView>,
    pub steps: Vec<StepView>,
    /// Every step, for "next" selects.
    pub step_choices: Vec<Choice>,
    /// Where a new step can be attached.
    pub attach_choices: Vec<Choice>,
    /// The workspace's selected ad accounts (id, label).
    pub ad_accounts: Vec<Choice>,
}

fn target(id: &Option<pinsync_core::canvas::StepId>) -> String {
    id.as_ref().map(|id| id.to_string()).unwrap_or_default()
}

/// Builds the editor page of `record`.
pub fn build_page(
    chrome: Chrome,
    record: &CanvasRecord,
    ad_accounts: Vec<(String, String)>,
    outcome: Outcome,
) -> EditorPage {
    let definition = &record.definition;
    let ordered = display_order(definition);
    let step_choices: Vec<Choice> = ordered
        .iter()
        .map(|s| Choice {
            value: s.id.to_string(),
            label: format!("{} ({})", s.name, s.id),
        })
        .collect();
    let mut attach_choices = Vec::new();
    for step in &ordered {
        let branches: &[(&str, &str)] = match step.kind {
            StepKind::DecisionSplit(_) => {
                &[("no", "the “no” branch of"), ("yes", "the “yes” branch of")]
            }
            _ => &[("next", "after")],
        };
        for (branch, words) in branches {
            attach_choices.push(Choice {
                value: format!("{}:{branch}", step.id),
                label: format!("On {words} “{}”", step.name),
            });
        }
    }
    // The first option (selected by default) is after the last step users meet.
    attach_choices.reverse();
    attach_choices.push(Choice {
        value: "entry".into(),
        label: "At the start of the Canvas".into(),
    });
    let audience_sources: Vec<(String, String)> = definition
        .audience_sync_steps()
        .filter(|(_, sync)| {
            matches!(
                sync.audience,
                Some(AudienceRef::New { .. } | AudienceRef::Existing { .. })
            )
        })
        .map(|(step, sync)| {
            let audience = match &sync.audience {
                Some(AudienceRef::New { name, .. }) => name.clone(),
                Some(AudienceRef::Existing { audience_id }) => format!("audience {audience_id}"),
                _ => String::new(),
            };
            (
                step.id.to_string(),
                format!("{audience} (from step “{}”)", step.name),
            )
        })
        .collect();
    let steps = ordered
        .iter()
        .map(|step| step_view(step, definition, &audience_sources))
        .collect();
    let (notice_kind, notice, problems) = match outcome {
        Outcome::Nothing => ("", String::new(), Vec::new()),
        Outcome::Success(message) => ("success", message, Vec::new()),
        Outcome::Failure(message) => ("error", message, Vec::new()),
        Outcome::Problems(message, problems) => {
            ("error", message, problem_views(definition, &problems))
        }
        Outcome::LaunchRefused(problems) => (
            "error",
            format!(
                "The Canvas cannot launch yet: fix the {} problem(s) below, then launch again.",
                problems.len()
            ),
            problem_views(definition, &problems),
        ),
    };
    EditorPage {
        chrome,
        id: record.id.0,
        name: definition.name.clone(),
        status: status_name(record.status),
        editable: record.status != CanvasStatus::Archived,
        launchable: matches!(record.status, CanvasStatus::Draft | CanvasStatus::Stopped),
        stoppable: record.status == CanvasStatus::Active,
        notice_kind,
        notice,
        problems,
        steps,
        step_choices,
        attach_choices,
        ad_accounts: ad_accounts
            .into_iter()
            .map(|(id, name)| Choice {
                label: format!("{name} ({id})"),
                value: id,
            })
            .collect(),
    }
}

fn step_view(
    step: &pinsync_core::canvas::Step,
    definition: &pinsync_core::canvas::CanvasDefinition,
    audience_sources: &[(String, String)],
) -> StepView {
    let mut view = StepView {
        id: step.id.to_string(),
        name: step.name.clone(),
        kind: step.type_name(),
        kind_label: match step.kind {
            StepKind::AudienceSync(_) => "Audience Sync",
            StepKind::Delay(_) => "Delay",
            StepKind::DecisionSplit(_) => "Decision Split",
        },
        is_entry: definition.entry_step_id == step.id,
        ad_account_id: String::new(),
        audience_mode: "",
        audience_name: String::new(),
        audience_id: String::new(),
        audience_step: String::new(),
        created_audience_id: String::new(),
        action: "add",
        match_email: false,
        match_gaid: false,
        match_idfa: false,
        duration_seconds: String::new(),
        attribute: String::new(),
        op: "exists",
        value: String::new(),
        next: String::new(),
        yes: String::new(),
        no: String::new(),
        audience_step_choices: audience_sources
            .iter()
            .filter(|(id, _)| *id != step.id.as_str())
            .map(|(id, label)| Choice {
                value: id.clone(),
                label: label.clone(),
            })
            .collect(),
    };
    match &step.kind {
        StepKind::AudienceSync(sync) => {
            view.ad_account_id = sync.ad_account_id.clone();
            match &sync.audience {
                Some(AudienceRef::New { name, created }) => {
                    view.audience_mode = "new";
                    view.audience_name = name.clone();
                    view.created_audience_id = created
                        .as_ref()
                        .map(|c| c.audience_id.clone())
                        .unwrap_or_default();
                }
                Some(AudienceRef::Existing { audience_id }) => {
                    view.audience_mode = "existing";
                    view.audience_id = audience_id.clone();
                }
                Some(AudienceRef::Step { step }) => {
                    view.audience_mode = "step";
                    view.audience_step = step.to_string();
                }
                None => {}
            }
            view.action = match sync.action {
                SyncAction::Add => "add",
                SyncAction::Remove => "remove",
            };
            view.match_email = sync.match_fields.contains(&MatchField::Email);
            view.match_gaid = sync.match_fields.contains(&MatchField::Gaid);
            view.match_idfa = sync.match_fields.contains(&MatchField::Idfa);
            view.next = target(&sync.next);
        }
        StepKind::Delay(delay) => {
            view.duration_seconds = delay.duration_seconds.to_string();
            view.next = target(&delay.next);
        }
        StepKind::DecisionSplit(split) => {
            view.attribute = split.condition.attribute.clone();
            view.op = match split.condition.op {
                ConditionOp::Equals => "equals",
                ConditionOp::Exists => "exists",
                ConditionOp::GreaterThan => "greater_than",
            };
            view.value = match &split.condition.value {
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            view.yes = target(&split.yes);
            view.no = target(&split.no);
        }
    }
    view
}
