/*
 * Reproduces the heap corruption in Debian's Graphviz 2.42.2 dot layout (flat_edges with
 * clusters and edge labels), and checks the workaround kubereach uses.
 *
 *   repro FILE.dot free     gvLayout + gvRender + gvFreeLayout, as the docs say (aborts on bad graphs)
 *   repro FILE.dot keep     the same without gvFreeLayout (what the `dot` program effectively does)
 *   repro FILE.dot guard    gvFreeLayout only when no root rank array was moved by make_vn_slot
 *   repro FILE.dot repair   point each moved rank's `av` at its new array, then gvFreeLayout
 *   repro FILE.dot xlabel   every edge `label` moved to `xlabel` before layout, then gvFreeLayout
 *
 * Prints "ok" and exits 0 when the render succeeded and the layout was released (or kept).
 */
#include "../../Sources/CGraphviz/shim.h" /* kr_repair_moved_rank_arrays, as kubereach calls it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) { perror("read"); exit(2); }
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void move_labels_to_xlabels(Agraph_t *g) {
  Agsym_t *label = agattr(g, AGEDGE, "label", NULL);
  if (!label) return;
  agattr(g, AGEDGE, "xlabel", "");
  for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n))
    for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
      char *text = agxget(e, label);
      if (text && *text) {
        char *copy = strdup(text);
        agset(e, "xlabel", copy);
        agxset(e, label, "");
        free(copy);
      }
    }
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: repro FILE.dot free|keep|guard|repair|xlabel\n"); return 2; }
  const char *mode = argv[2];
  char *text = slurp(argv[1]);
  GVC_t *gvc = gvContext();
  Agraph_t *g = agmemread(text);
  if (!g) { fprintf(stderr, "DOT not accepted\n"); return 2; }
  if (strcmp(mode, "xlabel") == 0) move_labels_to_xlabels(g);
  if (gvLayout(gvc, g, "dot") != 0) { fprintf(stderr, "layout failed\n"); return 2; }
  char *out = NULL;
  unsigned int length = 0;
  if (gvRenderData(gvc, g, "svg", &out, &length) != 0) { fprintf(stderr, "render failed\n"); return 2; }
  gvFreeRenderData(out);
  /* flat_edges() -> flat_node() -> make_vn_slot() reallocs GD_rank(g)[r].v of the root graph to
   * insert a label node, but leaves GD_rank(g)[r].av (what dot_cleanup frees) on the old block. */
  int stale = 0;
  for (int r = GD_minrank(g); r <= GD_maxrank(g); r++)
    if (GD_rank(g)[r].v != GD_rank(g)[r].av) stale++;
  if (strcmp(mode, "repair") == 0) kr_repair_moved_rank_arrays(g);
  if (strcmp(mode, "keep") == 0 || (strcmp(mode, "guard") == 0 && stale)) {
    /* leave the layout allocated */
  } else {
    gvFreeLayout(gvc, g);
  }
  agclose(g);
  gvFreeContext(gvc);
  free(text);
  printf("ok %u bytes of svg, %d rank arrays moved by flat_edges\n", length, stale);
  return 0;
}
