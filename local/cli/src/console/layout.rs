//! A layered drawing of a DAG, left to right (the Sugiyama scheme, kept small): each node's
//! layer is the longest path to it from a source, so every arrow points right; then the
//! nodes of each layer are ordered by the barycentre of their neighbours, sweeping right
//! and left a few times and keeping the order with the fewest crossings. No crate does this
//! for Rust without pulling a rendering stack (graphviz bindings, layout-rs's own SVG), and
//! the console needs only the positions.

/// Where each node goes: its layer (column) and its row within the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The nodes of each layer, top to bottom.
    pub layers: Vec<Vec<usize>>,
    /// Per node: (layer, row).
    pub place: Vec<(usize, usize)>,
}

/// Sweeps of the barycentre ordering (each one right then left).
const SWEEPS: usize = 6;

/// The layout of `nodes` nodes with arrows `edges` (from, to). Arrows that would close a
/// cycle (a spec validation refuses) are drawn, not followed: such nodes go one layer
/// further, so the function is total.
pub fn layout(nodes: usize, edges: &[(usize, usize)]) -> Layout {
    let edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(from, to)| from < nodes && to < nodes && from != to)
        .collect();
    let layer = longest_path_layers(nodes, &edges);
    let depth = layer.iter().max().map_or(0, |deepest| deepest + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (node, &at) in layer.iter().enumerate() {
        layers[at].push(node);
    }
    let mut best = layers.clone();
    let mut fewest = crossings(&layers, &layer, &edges);
    for _ in 0..SWEEPS {
        if fewest == 0 {
            break;
        }
        for rightwards in [true, false] {
            order_by_barycentre(&mut layers, &layer, &edges, rightwards);
            let now = crossings(&layers, &layer, &edges);
            if now < fewest {
                fewest = now;
                best = layers.clone();
            }
        }
    }
    let mut place = vec![(0, 0); nodes];
    for (at, members) in best.iter().enumerate() {
        for (row, &node) in members.iter().enumerate() {
            place[node] = (at, row);
        }
    }
    Layout {
        layers: best,
        place,
    }
}

/// Layer 0 for a node with no arrow in, else one more than its deepest predecessor (Kahn's
/// order, so each node is placed once; nodes left on a cycle go after the rest).
fn longest_path_layers(nodes: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut incoming = vec![0usize; nodes];
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for &(from, to) in edges {
        incoming[to] += 1;
        outgoing[from].push(to);
    }
    let mut layer = vec![0usize; nodes];
    let mut ready: Vec<usize> = (0..nodes).filter(|&node| incoming[node] == 0).collect();
    let mut placed = vec![false; nodes];
    let mut next = 0;
    while next < ready.len() {
        let node = ready[next];
        next += 1;
        placed[node] = true;
        for &to in &outgoing[node] {
            layer[to] = layer[to].max(layer[node] + 1);
            incoming[to] -= 1;
            if incoming[to] == 0 {
                ready.push(to);
            }
        }
    }
    let beyond = layer.iter().max().map_or(0, |deepest| deepest + 1);
    for node in (0..nodes).filter(|&node| !placed[node]) {
        layer[node] = beyond;
    }
    layer
}

/// Reorders each layer by the mean row of its neighbours on the side already ordered
/// (predecessors when sweeping right, successors when sweeping left); a node without such
/// neighbours keeps its row.
fn order_by_barycentre(
    layers: &mut [Vec<usize>],
    layer: &[usize],
    edges: &[(usize, usize)],
    rightwards: bool,
) {
    let mut row = vec![0f64; layer.len()];
    let indices: Vec<usize> = if rightwards {
        (0..layers.len()).collect()
    } else {
        (0..layers.len()).rev().collect()
    };
    for at in indices {
        for members in layers.iter() {
            for (index, &node) in members.iter().enumerate() {
                row[node] = index as f64;
            }
        }
        let mut keyed: Vec<(f64, usize)> = layers[at]
            .iter()
            .enumerate()
            .map(|(index, &node)| {
                let neighbours: Vec<f64> = edges
                    .iter()
                    .filter_map(|&(from, to)| match rightwards {
                        true if to == node && layer[from] < at => Some(row[from]),
                        false if from == node && layer[to] > at => Some(row[to]),
                        _ => None,
                    })
                    .collect();
                let key = if neighbours.is_empty() {
                    index as f64
                } else {
                    neighbours.iter().sum::<f64>() / neighbours.len() as f64
                };
                (key, node)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        layers[at] = keyed.into_iter().map(|(_, node)| node).collect();
    }
}

/// Pairs of arrows between the same two layers that cross.
fn crossings(layers: &[Vec<usize>], layer: &[usize], edges: &[(usize, usize)]) -> usize {
    let mut row = vec![0usize; layer.len()];
    for members in layers {
        for (index, &node) in members.iter().enumerate() {
            row[node] = index;
        }
    }
    let mut count = 0;
    for (i, &(a_from, a_to)) in edges.iter().enumerate() {
        for &(b_from, b_to) in &edges[i + 1..] {
            let same_span = layer[a_from] == layer[b_from] && layer[a_to] == layer[b_to];
            if same_span
                && (row[a_from] as i64 - row[b_from] as i64) * (row[a_to] as i64 - row[b_to] as i64)
                    < 0
            {
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_sits_one_layer_after_its_deepest_dependency() {
        // GIVEN the sample: validate → curate, stats → publish → report, and a shortcut
        // validate → report
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (0, 4)];
        // WHEN laid out
        let drawn = layout(5, &edges);
        // THEN layers by longest path (report after publish, not beside curate)
        assert_eq!(drawn.layers, vec![vec![0], vec![1, 2], vec![3], vec![4]]);
        assert!(edges
            .iter()
            .all(|&(from, to)| drawn.place[from].0 < drawn.place[to].0));
    }

    #[test]
    fn rows_are_ordered_so_that_arrows_do_not_cross() {
        // GIVEN two sources whose targets come in the opposite order: a → d, b → c
        let edges = [(0, 3), (1, 2)];
        // WHEN laid out
        let drawn = layout(4, &edges);
        // THEN d sits beside a and c beside b: no crossing left
        assert_eq!(crossings(&drawn.layers, &[0, 0, 1, 1], &edges), 0);
        assert_eq!(drawn.place[0].1, drawn.place[3].1);
    }

    #[test]
    fn steps_without_arrows_share_one_layer_and_a_cycle_still_lays_out() {
        // GIVEN three steps without dependencies, and a cycle a → b → a beside c
        // WHEN laid out THEN one column of three; the cycle is placed, not looped over
        assert_eq!(layout(3, &[]).layers, vec![vec![0, 1, 2]]);
        let cyclic = layout(3, &[(0, 1), (1, 0)]);
        assert_eq!(cyclic.place.len(), 3);
        assert_eq!(cyclic.layers.iter().map(Vec::len).sum::<usize>(), 3);
    }

    #[test]
    fn a_pipeline_of_256_steps_lays_out() {
        // GIVEN EMR's largest pipeline: 16 chains of 16, each step also waiting for its
        // neighbour chain's previous step
        let mut edges = Vec::new();
        for chain in 0..16 {
            for step in 1..16 {
                edges.push((chain * 16 + step - 1, chain * 16 + step));
                edges.push((((chain + 1) % 16) * 16 + step - 1, chain * 16 + step));
            }
        }
        // WHEN laid out THEN 16 layers of 16, every arrow pointing right
        let drawn = layout(256, &edges);
        assert_eq!(drawn.layers.len(), 16);
        assert!(drawn.layers.iter().all(|members| members.len() == 16));
        assert!(edges
            .iter()
            .all(|&(from, to)| drawn.place[from].0 < drawn.place[to].0));
    }
}
