#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

/// Swift 6 cannot read the mutable C global `Agdirected`; this returns a copy.
static inline Agdesc_t kr_directed_graph(void) { return Agdirected; }

/// Repairs the rank arrays Debian's Graphviz 2.42.2 leaves stale after a dot layout, so that
/// `gvFreeLayout` frees each array once. Call after `gvLayout(..., "dot")` on the root graph,
/// before `gvFreeLayout`. Returns how many rank arrays were repaired.
///
/// The fault: to place the label of a flat edge (both ends on one rank), `flat_edges` ->
/// `flat_node` -> `make_vn_slot` grows the root graph's node array of the rank above with
/// `realloc` and stores the new block in `rank[r].v`, but leaves `rank[r].av` (the pointer
/// `dot_cleanup` frees) on the block `realloc` already released: a double free in
/// `gvFreeLayout` ("free(): double free detected", "malloc_consolidate(): invalid chunk size").
/// For the root graph `v` and `av` are the same allocation in every other case (cluster ranks
/// point into the root's arrays through `v` and keep their own `av`, so they are left alone).
/// Pointing `av` at the current block is what later Graphviz releases do.
/// scripts/graphviz-repro/ reproduces the fault in plain C and checks this repair.
static inline int kr_repair_moved_rank_arrays(Agraph_t *root) {
  if (root == NULL) return 0;
  Agraphinfo_t *info = (Agraphinfo_t *)aggetrec(root, "Agraphinfo_t", 0);
  if (info == NULL || info->rank == NULL) return 0;
  int repaired = 0;
  for (int r = info->minrank; r <= info->maxrank; r++) {
    if (info->rank[r].v != info->rank[r].av) {
      info->rank[r].av = info->rank[r].v;
      repaired++;
    }
  }
  return repaired;
}
