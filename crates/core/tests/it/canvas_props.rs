//! Properties of validation over generated Canvases: it never panics, a well-formed DAG
//! validates clean, problems name real steps, and every Canvas survives a JSON round trip.

use pinsync_core::canvas::{
    AudienceRef, AudienceSyncStep, CanvasDefinition, Condition, ConditionOp, DecisionSplitStep,
    DelayStep, NoExternalChecks, ReentryPolicy, Step, StepId, StepKind, SyncAction,
};
use pinsync_core::identifier::IdentifierKind;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::json;

const YEAR_SECONDS: u64 = 365 * 24 * 60 * 60;

fn any_step_id() -> impl Strategy<Value = StepId> {
    prop_oneof![
        4 => "s[0-7]",
        1 => Just(String::new()),
        1 => "[a-z !é]{0,4}",
        1 => "x{60,70}",
    ]
    .prop_map(StepId)
}

fn any_link() -> impl Strategy<Value = Option<StepId>> {
    prop::option::of(any_step_id())
}

fn any_audience() -> impl Strategy<Value = Option<AudienceRef>> {
    prop::option::of(prop_oneof![
        "[a-z ]{0,6}".prop_map(|name| AudienceRef::New {
            name,
            created: None
        }),
        "[0-9a-z]{0,4}".prop_map(|audience_id| AudienceRef::Existing { audience_id }),
        any_step_id().prop_map(|step| AudienceRef::Step { step }),
    ])
}

fn any_audience_sync() -> impl Strategy<Value = StepKind> {
    (
        prop_oneof![Just("pinterest".to_owned()), "[a-z]{0,5}"],
        prop_oneof![
            Just("123".to_owned()),
            Just("456".to_owned()),
            "[0-9a-z]{0,3}"
        ],
        any_audience(),
        any::<bool>(),
        vec(prop::sample::select(IdentifierKind::ALL), 0..4),
        any_link(),
    )
        .prop_map(
            |(partner, ad_account_id, audience, adds, match_fields, next)| {
                StepKind::AudienceSync(AudienceSyncStep {
                    partner,
                    ad_account_id,
                    audience,
                    action: if adds {
                        SyncAction::Add
                    } else {
                        SyncAction::Remove
                    },
                    match_fields,
                    next,
                })
            },
        )
}

fn any_condition() -> impl Strategy<Value = Condition> {
    (
        "[a-z]{0,3}",
        prop::sample::select(vec![
            ConditionOp::Equals,
            ConditionOp::Exists,
            ConditionOp::GreaterThan,
        ]),
        prop::option::of(prop_oneof![
            Just(json!(1)),
            Just(json!("a")),
            Just(json!(true)),
            Just(json!([]))
        ]),
    )
        .prop_map(|(attribute, op, value)| Condition {
            attribute,
            op,
            value,
        })
}

fn any_step() -> impl Strategy<Value = Step> {
    let kind = prop_oneof![
        any_audience_sync(),
        (
            prop_oneof![Just(0u64), 1..=YEAR_SECONDS, Just(u64::MAX)],
            any_link()
        )
            .prop_map(|(duration_seconds, next)| StepKind::Delay(DelayStep {
                duration_seconds,
                next
            })),
        (any_condition(), any_link(), any_link()).prop_map(|(condition, yes, no)| {
            StepKind::DecisionSplit(DecisionSplitStep { condition, yes, no })
        }),
    ];
    (any_step_id(), "[A-Za-z ]{0,5}", kind).prop_map(|(id, name, kind)| Step { id, name, kind })
}

fn any_canvas() -> impl Strategy<Value = CanvasDefinition> {
    (
        "[a-z ]{0,5}",
        any_step_id(),
        any::<bool>(),
        vec(any_step(), 0..12),
    )
        .prop_map(|(name, entry_step_id, reenters, steps)| CanvasDefinition {
            name,
            entry_step_id,
            reentry: if reenters {
                ReentryPolicy::AfterExit
            } else {
                ReentryPolicy::Never
            },
            steps,
        })
}

/// A Canvas whose steps form a tree rooted at `s0`, plus some extra forward links from
/// splits; every setting is valid. `choices` drives every random decision.
fn valid_dag(step_count: usize, choices: &[u32]) -> CanvasDefinition {
    let choice = |index: usize| choices[index % choices.len()] as usize;
    let kinds: Vec<usize> = (0..step_count).map(|i| choice(i * 4) % 3).collect();
    let max_children = |i: usize| if kinds[i] == 2 { 2 } else { 1 };
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); step_count];
    for i in 1..step_count {
        let open: Vec<usize> = (0..i)
            .filter(|&j| children[j].len() < max_children(j))
            .collect();
        let parent = open[choice(i * 4 + 1) % open.len()];
        children[parent].push(i);
    }
    for j in 0..step_count {
        let later: Vec<usize> = (j + 1..step_count)
            .filter(|k| !children[j].contains(k))
            .collect();
        if kinds[j] == 2 && children[j].len() < 2 && !later.is_empty() && choice(j * 4 + 2) % 2 == 0
        {
            children[j].push(later[choice(j * 4 + 3) % later.len()]);
        }
    }
    let id = |i: usize| StepId(format!("s{i}"));
    let first_sync = kinds.iter().position(|&kind| kind == 0);
    let steps = (0..step_count)
        .map(|i| {
            let link = |slot: usize| children[i].get(slot).map(|&child| id(child));
            let kind = match kinds[i] {
                0 => {
                    let audience = match (first_sync, choice(i * 4 + 2) % 3) {
                        (Some(first), 0) if first != i => AudienceRef::Step { step: id(first) },
                        (_, 1) => AudienceRef::Existing {
                            audience_id: "2542623499806".into(),
                        },
                        _ => AudienceRef::New {
                            name: format!("Audience {i}"),
                            created: None,
                        },
                    };
                    let match_fields = IdentifierKind::ALL[..1 + choice(i * 4 + 3) % 3].to_vec();
                    StepKind::AudienceSync(AudienceSyncStep {
                        partner: "pinterest".into(),
                        ad_account_id: "549770573673".into(),
                        audience: Some(audience),
                        action: SyncAction::Add,
                        match_fields,
                        next: link(0),
                    })
                }
                1 => StepKind::Delay(DelayStep {
                    duration_seconds: 1 + (choice(i * 4 + 2) as u64) % YEAR_SECONDS,
                    next: link(0),
                }),
                _ => StepKind::DecisionSplit(DecisionSplitStep {
                    condition: Condition {
                        attribute: "plan".into(),
                        op: ConditionOp::Exists,
                        value: None,
                    },
                    yes: link(0),
                    no: link(1),
                }),
            };
            Step {
                id: id(i),
                name: format!("Step {i}"),
                kind,
            }
        })
        .collect();
    CanvasDefinition {
        name: "Generated".into(),
        entry_step_id: id(0),
        reentry: ReentryPolicy::Never,
        steps,
    }
}

fn dag_inputs() -> impl Strategy<Value = (usize, Vec<u32>)> {
    (1usize..30).prop_flat_map(|count| (Just(count), vec(any::<u32>(), count * 4)))
}

proptest! {
    #[test]
    fn validate_never_panics_and_problems_name_real_steps(canvas in any_canvas()) {
        let problems = canvas.validate();
        for problem in &problems {
            prop_assert!(!problem.message.is_empty());
            if let Some(step_id) = &problem.step_id {
                prop_assert!(canvas.steps.iter().any(|step| &step.id == step_id), "{}", problem);
            }
        }
        prop_assert_eq!(canvas.validate_with(&NoExternalChecks), problems);
    }

    #[test]
    fn every_generated_canvas_survives_a_json_round_trip(canvas in any_canvas()) {
        let text = serde_json::to_string(&canvas).unwrap();
        prop_assert_eq!(CanvasDefinition::parse_json(&text).unwrap(), canvas);
    }

    #[test]
    fn a_generated_valid_dag_validates_clean((count, choices) in dag_inputs()) {
        let canvas = valid_dag(count, &choices);
        prop_assert_eq!(canvas.validate(), vec![]);
        let text = serde_json::to_string(&canvas).unwrap();
        prop_assert_eq!(CanvasDefinition::parse_json(&text).unwrap(), canvas);
    }

    #[test]
    fn a_link_back_to_the_entry_of_a_valid_dag_is_a_cycle((count, choices) in dag_inputs()) {
        let mut canvas = valid_dag(count, &choices);
        let last = canvas.steps.len() - 1;
        canvas.steps[last].kind = StepKind::Delay(DelayStep { duration_seconds: 60, next: Some(StepId::new("s0")) });
        let cycles = canvas.validate().into_iter().filter(|problem| problem.code == pinsync_core::canvas::ProblemCode::Cycle).count();
        prop_assert!(cycles >= 1);
    }
}
