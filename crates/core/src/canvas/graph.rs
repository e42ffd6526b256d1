//! Structural checks of a Canvas graph: the entry step, unique ids, links that point
//! somewhere, no cycles, and every step reachable from the entry.

use std::collections::{HashMap, HashSet, VecDeque};

use super::CanvasDefinition;
use super::problem::{ProblemCode, ValidationProblem};
use super::step::{Step, StepId, StepKind};

/// The links out of a step, each with the field it is written in.
fn links(step: &Step) -> Vec<(&'static str, &StepId)> {
    match &step.kind {
        StepKind::AudienceSync(sync) => sync.next.iter().map(|id| ("next", id)).collect(),
        StepKind::Delay(delay) => delay.next.iter().map(|id| ("next", id)).collect(),
        StepKind::DecisionSplit(split) => {
            let yes = split.yes.iter().map(|id| ("yes", id));
            let no = split.no.iter().map(|id| ("no", id));
            yes.chain(no).collect()
        }
    }
}

/// The steps as graph nodes: each id maps to the index of its first step.
struct StepGraph<'a> {
    steps: &'a [Step],
    index_of: HashMap<&'a str, usize>,
}

impl<'a> StepGraph<'a> {
    fn new(steps: &'a [Step]) -> Self {
        let mut index_of = HashMap::new();
        for (index, step) in steps.iter().enumerate() {
            index_of.entry(step.id.as_str()).or_insert(index);
        }
        StepGraph { steps, index_of }
    }

    /// Whether the step at `index` is the one its id resolves to (not a later duplicate).
    fn is_canonical(&self, index: usize) -> bool {
        self.index_of.get(self.steps[index].id.as_str()) == Some(&index)
    }

    /// The distinct steps this step links to, in link order.
    fn successors(&self, index: usize) -> Vec<usize> {
        let mut successors = Vec::new();
        for (_, id) in links(&self.steps[index]) {
            let Some(&next) = self.index_of.get(id.as_str()) else {
                continue;
            };
            if !successors.contains(&next) {
                successors.push(next);
            }
        }
        successors
    }
}

/// Every structural problem of the Canvas.
pub(super) fn structure_problems(canvas: &CanvasDefinition) -> Vec<ValidationProblem> {
    let graph = StepGraph::new(&canvas.steps);
    let mut problems = Vec::new();
    entry_problems(canvas, &graph, &mut problems);
    duplicate_id_problems(&graph, &mut problems);
    dangling_link_problems(&graph, &mut problems);
    cycle_problems(&graph, &mut problems);
    unreachable_problems(canvas, &graph, &mut problems);
    problems
}

fn entry_problems(
    canvas: &CanvasDefinition,
    graph: &StepGraph<'_>,
    problems: &mut Vec<ValidationProblem>,
) {
    let entry = canvas.entry_step_id.as_str();
    if entry.trim().is_empty() {
        problems.push(ValidationProblem::canvas(
            ProblemCode::EntryStepMissing,
            "No entry step is set: set `entry_step_id` to the id of the step users start at.",
        ));
    } else if !graph.steps.is_empty() && !graph.index_of.contains_key(entry) {
        problems.push(ValidationProblem::canvas(
            ProblemCode::EntryStepUnknown,
            format!(
                "The entry step `{entry}` does not exist: set `entry_step_id` to the id of one of the steps."
            ),
        ));
    }
}

fn duplicate_id_problems(graph: &StepGraph<'_>, problems: &mut Vec<ValidationProblem>) {
    for (index, step) in graph.steps.iter().enumerate() {
        if step.id.is_empty() || graph.is_canonical(index) {
            continue;
        }
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::DuplicateStepId,
            format!(
                "Two or more steps have the id `{}`: give each step its own id.",
                step.id
            ),
        ));
    }
}

fn dangling_link_problems(graph: &StepGraph<'_>, problems: &mut Vec<ValidationProblem>) {
    for step in graph.steps {
        for (field, target) in links(step) {
            if graph.index_of.contains_key(target.as_str()) {
                continue;
            }
            problems.push(ValidationProblem::step(
                &step.id,
                ProblemCode::NextStepUnknown,
                format!(
                    "`{field}` points to `{target}`, which is not a step of this Canvas: point it to an existing step, or set it to null to end the branch."
                ),
            ));
        }
    }
}

/// Depth-first search over canonical steps; each back edge closes one cycle.
fn cycle_problems(graph: &StepGraph<'_>, problems: &mut Vec<ValidationProblem>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unvisited,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::Unvisited; graph.steps.len()];
    for root in 0..graph.steps.len() {
        if marks[root] != Mark::Unvisited || !graph.is_canonical(root) {
            continue;
        }
        // The current path, each node with the successors it has yet to visit.
        let mut path: Vec<(usize, Vec<usize>)> = vec![(root, graph.successors(root))];
        marks[root] = Mark::OnPath;
        while let Some((node, pending)) = path.last_mut() {
            let node = *node;
            let Some(next) = pending.pop() else {
                marks[node] = Mark::Done;
                path.pop();
                continue;
            };
            match marks[next] {
                Mark::Unvisited => {
                    marks[next] = Mark::OnPath;
                    path.push((next, graph.successors(next)));
                }
                Mark::OnPath => {
                    let start = path.iter().position(|(on_path, _)| *on_path == next);
                    let cycle: Vec<usize> = path[start.unwrap_or(0)..]
                        .iter()
                        .map(|(on_path, _)| *on_path)
                        .collect();
                    problems.push(cycle_problem(graph, &cycle));
                }
                Mark::Done => {}
            }
        }
    }
}

fn cycle_problem(graph: &StepGraph<'_>, cycle: &[usize]) -> ValidationProblem {
    let first = &graph.steps[cycle[0]].id;
    let route: Vec<&str> = cycle
        .iter()
        .chain(std::iter::once(&cycle[0]))
        .map(|&index| graph.steps[index].id.as_str())
        .collect();
    ValidationProblem::step(
        first,
        ProblemCode::Cycle,
        format!(
            "These steps form a cycle: {}. Users must always move forward: end the branch with null or point it to a step that does not lead back.",
            route.join(" → ")
        ),
    )
}

fn unreachable_problems(
    canvas: &CanvasDefinition,
    graph: &StepGraph<'_>,
    problems: &mut Vec<ValidationProblem>,
) {
    let Some(&entry) = graph.index_of.get(canvas.entry_step_id.as_str()) else {
        return;
    };
    let mut reached = HashSet::from([entry]);
    let mut queue = VecDeque::from([entry]);
    while let Some(node) = queue.pop_front() {
        for next in graph.successors(node) {
            if reached.insert(next) {
                queue.push_back(next);
            }
        }
    }
    for (index, step) in graph.steps.iter().enumerate() {
        if reached.contains(&index) || !graph.is_canonical(index) {
            continue;
        }
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::UnreachableStep,
            format!(
                "No path from the entry step `{}` reaches step `{}`: link to it from another step's `next`, `yes` or `no`, or delete it.",
                canvas.entry_step_id, step.id
            ),
        ));
    }
}
