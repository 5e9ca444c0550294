#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

/// Swift 6 cannot read the mutable C global `Agdirected`; this returns a copy.
static inline Agdesc_t kr_directed_graph(void) { return Agdirected; }
