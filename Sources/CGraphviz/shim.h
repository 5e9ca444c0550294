#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

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

/// Object ids in creation order, so that a drawing does not depend on memory addresses.
///
/// cgraph's default id discipline makes a named object's id the address of its interned name,
/// and keeps subgraphs ordered by id: the clusters of a drawing came out in an order that changed
/// from run to run (same layout, different SVG bytes). This discipline declines to map names
/// (cgraph then keeps names in its internal map) and hands out odd ids from a counter per root
/// graph, as the default does for anonymous objects, so subgraphs keep the order of the DOT text.
typedef struct { IDTYPE next; } kr_id_state;

static void *kr_id_open(Agraph_t *g, Agdisc_t *disc) {
  (void)g; (void)disc;
  kr_id_state *state = (kr_id_state *)malloc(sizeof(kr_id_state));
  if (state) state->next = 1;
  return state;
}

static long kr_id_map(void *state, int objtype, char *str, IDTYPE *id, int createflag) {
  (void)objtype; (void)createflag;
  if (str) return 0; /* names live in cgraph's internal map */
  kr_id_state *s = (kr_id_state *)state;
  *id = s->next;
  s->next += 2;
  return 1;
}

static long kr_id_alloc(void *state, int objtype, IDTYPE id) {
  (void)state; (void)objtype; (void)id;
  return 0;
}

static void kr_id_free(void *state, int objtype, IDTYPE id) { (void)state; (void)objtype; (void)id; }

static char *kr_id_print(void *state, int objtype, IDTYPE id) {
  (void)state; (void)objtype; (void)id;
  return NULL;
}

static void kr_id_close(void *state) { free(state); }

static void kr_id_register(void *state, int objtype, void *obj) { (void)state; (void)objtype; (void)obj; }

static Agiddisc_t kr_sequential_ids = {
  kr_id_open, kr_id_map, kr_id_alloc, kr_id_free, kr_id_print, kr_id_close, kr_id_register
};

/// DOT text read from memory, a line (or `bufsize` bytes) at a time.
typedef struct { const char *text; size_t length; size_t offset; } kr_text_reader;

static int kr_text_read(void *chan, char *buf, int bufsize) {
  kr_text_reader *r = (kr_text_reader *)chan;
  if (bufsize <= 0 || r->offset >= r->length) return 0;
  int n = 0;
  char c;
  do {
    c = r->text[r->offset++];
    buf[n++] = c;
  } while (c != '\n' && n < bufsize && r->offset < r->length);
  return n;
}

/// The reader never writes: writing is refused.
static int kr_text_putstr(void *chan, const char *str) { (void)chan; (void)str; return EOF; }
static int kr_text_flush(void *chan) { (void)chan; return 0; }

static Agiodisc_t kr_text_io = { kr_text_read, kr_text_putstr, kr_text_flush };

/// Parses DOT text as `agmemread` does, with `kr_sequential_ids` as the id discipline.
static inline Agraph_t *kr_read_graph(const char *text) {
  kr_text_reader reader = { text, strlen(text), 0 };
  Agdisc_t disc = { &AgMemDisc, &kr_sequential_ids, &kr_text_io };
  return agread(&reader, &disc);
}
