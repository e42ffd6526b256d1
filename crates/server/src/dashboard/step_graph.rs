//! Editing a Canvas's step graph the way the editor's buttons do: insert a step at a branch
//! point, remove one (re-linking what pointed at it), move one up or down a chain. Pure
//! functions over the definition; the engine stores the result.

use pinsync_core::canvas::{AudienceRef, CanvasDefinition, Step, StepId, StepKind};

/// Where a new step is attached: as the entry step, or on a branch of an existing step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attach {
    /// Not linked from anywhere (the user links it later).
    Nowhere,
    /// Becomes the entry step; the old entry step follows it.
    Entry,
    /// On `next` of a step (or `yes` / `no` of a Decision Split).
    Branch { step: StepId, branch: Branch },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    Next,
    Yes,
    No,
}

impl Attach {
    /// Reads `entry`, `<step>:next`, `<step>:yes`, `<step>:no` or empty.
    pub fn parse(text: &str) -> Attach {
        if text == "entry" {
            return Attach::Entry;
        }
        let Some((step, branch)) = text.rsplit_once(':') else {
            return Attach::Nowhere;
        };
        let branch = match branch {
            "yes" => Branch::Yes,
            "no" => Branch::No,
            _ => Branch::Next,
        };
        Attach::Branch {
            step: StepId::new(step),
            branch,
        }
    }
}

fn branch_slot(step: &mut Step, branch: Branch) -> Option<&mut Option<StepId>> {
    match (&mut step.kind, branch) {
        (StepKind::AudienceSync(sync), _) => Some(&mut sync.next),
        (StepKind::Delay(delay), _) => Some(&mut delay.next),
        (StepKind::DecisionSplit(split), Branch::Yes | Branch::Next) => Some(&mut split.yes),
        (StepKind::DecisionSplit(split), Branch::No) => Some(&mut split.no),
    }
}

fn own_next(step: &mut Step) -> Option<&mut Option<StepId>> {
    match &mut step.kind {
        StepKind::AudienceSync(sync) => Some(&mut sync.next),
        StepKind::Delay(delay) => Some(&mut delay.next),
        StepKind::DecisionSplit(split) => Some(&mut split.yes),
    }
}

/// The first id `prefix_N` not used by any step.
pub fn fresh_id(definition: &CanvasDefinition, prefix: &str) -> StepId {
    (1..)
        .map(|n| format!("{prefix}_{n}"))
        .find(|id| definition.step(id).is_none())
        .map(StepId)
        .unwrap_or_default()
}

/// The step that sends users to `new` is decided by `attach`; `new`'s own branch takes over
/// what that point pointed at, so the step is inserted, not appended beside.
pub fn insert(definition: &mut CanvasDefinition, mut new: Step, attach: &Attach) {
    let was = match attach {
        Attach::Nowhere => None,
        Attach::Entry => {
            let old = std::mem::replace(&mut definition.entry_step_id, new.id.clone());
            (!old.is_empty()).then_some(old)
        }
        Attach::Branch { step, branch } => definition
            .steps
            .iter_mut()
            .find(|s| s.id == *step)
            .and_then(|s| branch_slot(s, *branch))
            .and_then(|slot| slot.replace(new.id.clone())),
    };
    if let Some(slot) = own_next(&mut new) {
        *slot = was;
    }
    if definition.entry_step_id.is_empty() {
        definition.entry_step_id = new.id.clone();
    }
    definition.steps.push(new);
}

/// Removes the step; whatever pointed at it now points where it pointed (its `next`, or a
/// split's `yes`), and audiences borrowed from it are unset.
pub fn remove(definition: &mut CanvasDefinition, id: &StepId) -> bool {
    let Some(index) = definition.steps.iter().position(|s| s.id == *id) else {
        return false;
    };
    let mut removed = definition.steps.remove(index);
    let follower = own_next(&mut removed).and_then(|slot| slot.take());
    if definition.entry_step_id == *id {
        definition.entry_step_id = follower.clone().unwrap_or_default();
    }
    for step in &mut definition.steps {
        for branch in [Branch::Next, Branch::Yes, Branch::No] {
            if let Some(slot) = branch_slot(step, branch)
                && slot.as_ref() == Some(id)
            {
                *slot = follower.clone();
            }
        }
        if let StepKind::AudienceSync(sync) = &mut step.kind
            && matches!(&sync.audience, Some(AudienceRef::Step { step }) if step == id)
        {
            sync.audience = None;
        }
    }
    true
}

/// Swaps the step with the one after it in its chain (`up` swaps with the one before):
/// `a → b → c` becomes `b → a → c`. Only steps with a single way out move; otherwise nothing
/// changes and `false` is returned.
pub fn move_step(definition: &mut CanvasDefinition, id: &StepId, up: bool) -> bool {
    let (first, second) = if up {
        let before = definition.steps.iter().find(|s| {
            !matches!(s.kind, StepKind::DecisionSplit(_)) && s.successor_ids().contains(&id)
        });
        match before {
            Some(before) => (before.id.clone(), id.clone()),
            None => return false,
        }
    } else {
        let Some(step) = definition.step(id) else {
            return false;
        };
        if matches!(step.kind, StepKind::DecisionSplit(_)) {
            return false;
        }
        match step.successor_ids().first() {
            Some(next) => (id.clone(), (*next).clone()),
            None => return false,
        }
    };
    // first → second → after  becomes  second → first → after
    let after = definition
        .step(&second)
        .filter(|s| !matches!(s.kind, StepKind::DecisionSplit(_)))
        .map(|s| s.successor_ids().first().map(|id| (*id).clone()));
    let Some(after) = after else { return false };
    for step in &mut definition.steps {
        if step.id == first {
            if let Some(slot) = own_next(step) {
                *slot = after.clone();
            }
        } else if step.id == second {
            if let Some(slot) = own_next(step) {
                *slot = Some(first.clone());
            }
        } else {
            for branch in [Branch::Next, Branch::Yes, Branch::No] {
                if let Some(slot) = branch_slot(step, branch)
                    && slot.as_ref() == Some(&first)
                {
                    *slot = Some(second.clone());
                }
            }
        }
    }
    if definition.entry_step_id == first {
        definition.entry_step_id = second.clone();
    }
    let (a, b) = (
        definition.steps.iter().position(|s| s.id == first),
        definition.steps.iter().position(|s| s.id == second),
    );
    if let (Some(a), Some(b)) = (a, b) {
        definition.steps.swap(a, b);
    }
    true
}

/// The steps in the order users meet them (entry first, depth-first, `yes` before `no`),
/// then any step nothing reaches.
pub fn display_order(definition: &CanvasDefinition) -> Vec<&Step> {
    let mut ordered: Vec<&Step> = Vec::with_capacity(definition.steps.len());
    let mut stack: Vec<&StepId> = vec![&definition.entry_step_id];
    while let Some(id) = stack.pop() {
        let Some(step) = definition.step(id) else {
            continue;
        };
        if ordered.iter().any(|s| s.id == step.id) {
            continue;
        }
        ordered.push(step);
        for next in step.successor_ids().into_iter().rev() {
            stack.push(next);
        }
    }
    for step in &definition.steps {
        if !ordered.iter().any(|s| s.id == step.id) {
            ordered.push(step);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::step_form::new_step;

    fn chain(ids: &[&str]) -> CanvasDefinition {
        let mut definition = CanvasDefinition {
            name: "c".into(),
            entry_step_id: StepId::default(),
            reentry: Default::default(),
            steps: vec![],
        };
        let mut last: Option<StepId> = None;
        for id in ids {
            let step = new_step("delay", StepId::new(*id), id.to_string(), None).unwrap();
            let attach = match &last {
                Some(last) => Attach::Branch {
                    step: last.clone(),
                    branch: Branch::Next,
                },
                None => Attach::Nowhere,
            };
            insert(&mut definition, step, &attach);
            last = Some(StepId::new(*id));
        }
        definition
    }

    fn order(definition: &CanvasDefinition) -> Vec<&str> {
        display_order(definition)
            .iter()
            .map(|s| s.id.as_str())
            .collect()
    }

    #[test]
    fn steps_added_after_each_other_form_a_chain_from_the_entry() {
        let definition = chain(&["a", "b", "c"]);
        assert_eq!(definition.entry_step_id.as_str(), "a");
        assert_eq!(order(&definition), ["a", "b", "c"]);
        assert!(
            definition
                .validate()
                .iter()
                .all(|p| p.code.as_str() != "unreachable_step")
        );
    }

    #[test]
    fn a_step_inserted_on_a_branch_takes_over_what_the_branch_pointed_at() {
        let mut definition = chain(&["a", "c"]);
        let b = new_step("delay", StepId::new("b"), "b".into(), None).unwrap();
        insert(&mut definition, b, &Attach::parse("a:next"));
        assert_eq!(order(&definition), ["a", "b", "c"]);
    }

    #[test]
    fn removing_a_step_relinks_its_predecessor_to_its_successor() {
        let mut definition = chain(&["a", "b", "c"]);
        assert!(remove(&mut definition, &StepId::new("b")));
        assert_eq!(order(&definition), ["a", "c"]);
        assert!(remove(&mut definition, &StepId::new("a")));
        assert_eq!(definition.entry_step_id.as_str(), "c");
        assert!(!remove(&mut definition, &StepId::new("zzz")));
    }

    #[test]
    fn moving_a_step_swaps_it_with_its_neighbour_in_the_chain() {
        let mut definition = chain(&["a", "b", "c", "d"]);
        assert!(move_step(&mut definition, &StepId::new("b"), false));
        assert_eq!(order(&definition), ["a", "c", "b", "d"]);
        assert!(move_step(&mut definition, &StepId::new("c"), true));
        assert_eq!(order(&definition), ["c", "a", "b", "d"]);
        assert_eq!(definition.entry_step_id.as_str(), "c");
        assert!(
            !move_step(&mut definition, &StepId::new("c"), true),
            "nothing is before the entry"
        );
        assert!(
            !move_step(&mut definition, &StepId::new("d"), false),
            "nothing is after the last"
        );
    }

    #[test]
    fn a_step_added_on_the_no_branch_of_a_split_is_reached_only_from_there() {
        let mut definition = chain(&["a"]);
        let split = new_step("decision_split", StepId::new("s"), "s".into(), None).unwrap();
        insert(&mut definition, split, &Attach::parse("a:next"));
        let n = new_step("delay", StepId::new("n"), "n".into(), None).unwrap();
        insert(&mut definition, n, &Attach::parse("s:no"));
        let StepKind::DecisionSplit(s) = &definition.step("s").unwrap().kind else {
            unreachable!()
        };
        assert_eq!(s.no.as_deref(), Some("n"));
        assert_eq!(s.yes, None);
    }
}
