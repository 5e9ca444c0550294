import Analysis
import KubeModel

/// A Graphviz digraph with one cluster per namespace, as netpol-analyzer's dot format.
public struct DOTRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    Self.write(graph(report), into: sink)
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if !diff.rows.isEmpty { Self.write(graph(diff), into: sink) }
  }

  /// The DOT text of a connectivity report, whole (for Graphviz).
  public func dot(_ report: ConnectivityReport) -> String { Self.text(graph(report)) }

  /// The DOT text of a diff, whole (for Graphviz).
  public func dot(_ diff: DiffReport) -> String { Self.text(graph(diff)) }

  /// A graph's lines: `head` (clusters and nodes), then every edge in byte order, then `tail`.
  /// The edges of rows are not held as text: each is made when it is written.
  struct Graph {
    var head: [String]
    /// How many row edges there are, the names at their ends, and the line of each.
    var edgeCount: Int
    var ends: (Int) -> (source: String, destination: String)
    var edgeLine: (Int) -> String
    /// Edge lines that are held whole (the exposure edges), in byte order.
    var heldEdges: [String]
    var tail: [String] = []
  }

  /// A connectivity report's graph: namespace clusters, then (with exposure) the clusters of
  /// representative peers, then the other nodes and every edge, each sorted, as netpol-analyzer
  /// writes them.
  func graph(_ report: ConnectivityReport) -> Graph {
    var unique = Dictionary(report.peers.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    Self.addEnds(of: report.rows, to: &unique) { ($0.source, $0.destination) }
    var (clusters, loose) = nodeLines(unique) { $0.isExternal ? "red2" : "blue" }
    var held: [String] = []
    if let exposure = report.exposure {
      let parts = ExposureRendering.dotParts(exposure)
      clusters += parts.clusters
      loose += parts.nodes
      held = parts.edges
    }
    let rows = report.rows
    let focus = report.focusConnection.map(\.description)
    return Graph(
      head: clusters + Self.sorted(loose), edgeCount: rows.count,
      ends: { (rows[$0].source.name, rows[$0].destination.name) },
      edgeLine: { i in
        edge(
          rows[i].source.name, rows[i].destination.name, label: focus ?? rows[i].connectionsText, color: "gold2",
          fontColor: "darkgreen")
      },
      heldEdges: Self.sorted(held))
  }

  /// A diff's graph, with netpol-analyzer's colours and legend.
  func graph(_ diff: DiffReport) -> Graph {
    var unique = Dictionary(diff.peers.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    Self.addEnds(of: diff.rows, to: &unique) { ($0.source, $0.destination) }
    Self.addEnds(of: diff.unchanged, to: &unique) { ($0.source, $0.destination) }
    let (clusters, loose) = nodeLines(unique) { peer in
      if diff.addedPeers.contains(peer.name) { return "#008000" }
      if diff.removedPeers.contains(peer.name) { return "red" }
      return "blue"
    }
    let unchanged = diff.unchanged
    let rows = diff.rows
    return Graph(
      head: clusters + Self.sorted(loose), edgeCount: unchanged.count + rows.count,
      ends: { i in
        i < unchanged.count
          ? (unchanged[i].source.name, unchanged[i].destination.name)
          : (rows[i - unchanged.count].source.name, rows[i - unchanged.count].destination.name)
      },
      edgeLine: { i in
        if i < unchanged.count {
          let row = unchanged[i]
          return edge(row.source.name, row.destination.name, label: row.connections.description, color: "grey")
        }
        let row = rows[i - unchanged.count]
        let (label, color) =
          switch row.kind {
          case .added: (row.afterText, "#008000")
          case .removed: (row.beforeText, "red2")
          case .changed: ("\(row.afterText) (ref1: \(row.beforeText))", "magenta")
          }
        return edge(row.source.name, row.destination.name, label: label, color: color)
      },
      heldEdges: [], tail: Self.legend)
  }

  /// Adds the two ends of each row to the peers by name (a later peer of a name replaces an
  /// earlier one).
  static func addEnds<Rows: Sequence>(
    of rows: Rows, to unique: inout [String: ReportPeer], _ ends: (Rows.Element) -> (ReportPeer, ReportPeer)
  ) {
    for row in rows {
      let (source, destination) = ends(row)
      unique[source.name] = source
      unique[destination.name] = destination
    }
  }

  /// The whole text of a graph.
  static func text(_ graph: Graph) -> String {
    let collector = ByteCollector()
    write(graph, into: collector)
    return String(decoding: collector.bytes, as: UTF8.self)
  }

  /// `digraph {`, the lines joined by line breaks, and `}`, written line by line. The row edges
  /// are put in byte order without making their lines first: a line starts with
  /// `\t"source" -> "destination" [`, and a quoted name followed by its closing quote is never
  /// a prefix of another (an unescaped quote cannot stand where the other has an escaped one),
  /// so the lines sort as the pairs of their quoted names do, which are ranked once per name.
  /// The held edges are merged in by their text.
  static func write(_ graph: Graph, into sink: any OutputSink) {
    var out = ByteWriter(into: sink)
    out.write("digraph {\n")
    var first = true
    func line(_ text: String) {
      if !first { out.write("\n") }
      first = false
      out.write(text)
    }
    for text in graph.head { line(text) }
    var names: [String: Int32] = [:]
    var ends: [(source: Int32, destination: Int32)] = []
    ends.reserveCapacity(graph.edgeCount)
    func id(_ name: String) -> Int32 {
      if let known = names[name] { return known }
      let next = Int32(names.count)
      names[name] = next
      return next
    }
    for i in 0..<graph.edgeCount {
      let (source, destination) = graph.ends(i)
      ends.append((id(source), id(destination)))
    }
    var rank = [Int32](repeating: 0, count: names.count)
    let keyed = names.map { (key: Array(quote($0.key).utf8.dropFirst()), id: $0.value) }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    for (position, entry) in keyed.enumerated() { rank[Int(entry.id)] = Int32(position) }
    names = [:]
    var order = Array(0..<graph.edgeCount)
    order.sort { a, b in
      let (sa, sb) = (rank[Int(ends[a].source)], rank[Int(ends[b].source)])
      if sa != sb { return sa < sb }
      let (da, db) = (rank[Int(ends[a].destination)], rank[Int(ends[b].destination)])
      if da != db { return da < db }
      return graph.edgeLine(a).utf8.lexicographicallyPrecedes(graph.edgeLine(b).utf8)
    }
    ends = []
    var held = graph.heldEdges[...]
    for i in order {
      let text = graph.edgeLine(i)
      while let next = held.first, next.utf8.lexicographicallyPrecedes(text.utf8) {
        line(next)
        held = held.dropFirst()
      }
      line(text)
    }
    for text in held { line(text) }
    for text in graph.tail { line(text) }
    out.write("\n}")
    out.flush()
  }

  /// Lines in byte order (Go's string order, which netpol-analyzer sorts with).
  static func sorted(_ lines: [String]) -> [String] {
    lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// The namespace clusters with their workloads, and the lines of peers outside namespaces
  /// (`unique` holds each peer by its name).
  func nodeLines(_ unique: [String: ReportPeer], color: (ReportPeer) -> String) -> (clusters: [String], loose: [String])
  {
    var byNamespace: [String: [ReportPeer]] = [:]
    var looseLines: [String] = []
    for peer in unique.values {
      if let ns = peer.namespace {
        byNamespace[ns, default: []].append(peer)
      } else {
        let c = color(peer)
        looseLines.append(
          "\t\(Self.quote(peer.name)) [label=\(Self.quote(peer.shortName)) color=\"\(c)\" fontcolor=\"\(c)\"]")
      }
    }
    var lines: [String] = []
    for ns in byNamespace.keys.sorted() {
      lines.append("\tsubgraph \(Self.quote(Self.clusterID(ns))) {")
      lines.append("\t\tcolor=\"black\"")
      lines.append("\t\tfontcolor=\"black\"")
      for peer in (byNamespace[ns] ?? []).sorted() {
        let c = color(peer)
        lines.append(
          "\t\t\(Self.quote(peer.name)) [label=\(Self.quote(peer.shortName)) color=\"\(c)\" fontcolor=\"\(c)\"]")
      }
      lines.append("\t\tlabel=\(Self.quote("\(ns)[namespace]"))")
      lines.append("\t}")
    }
    return (lines, looseLines)
  }

  /// netpol-analyzer's cluster id of a namespace: `cluster_` and the name with `-` written `_`.
  static func clusterID(_ namespace: String) -> String {
    "cluster_" + namespace.replacingAll("-", with: "_") + "[namespace]"
  }

  /// netpol-analyzer's edge weight: 1 when the source name sorts after the destination name
  /// (byte order), 0.5 otherwise. Read off its golden files: every connectivity and diff edge
  /// of the corpus follows it.
  static func weight(_ source: String, _ destination: String) -> String {
    destination.utf8.lexicographicallyPrecedes(source.utf8) ? "1" : "0.5"
  }

  func edge(_ src: String, _ dst: String, label: String, color: String, fontColor: String? = nil) -> String {
    "\t\(Self.quote(src)) -> \(Self.quote(dst)) [label=\(Self.quote(label)) color=\"\(color)\" fontcolor=\"\(fontColor ?? color)\" weight=\(Self.weight(src, dst))]"
  }

  static func quote(_ text: String) -> String {
    "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
  }

  static let legend: [String] = [
    "\tnodesep=0.5",
    "\tsubgraph cluster_legend {",
    "\t\tlabel=\"Legend\"",
    "\t\tfontsize = 10",
    "\t\tmargin=0",
    "\t\ta [style=invis height=0 width=0]",
    "\t\tb [style=invis height=0 width=0]",
    "\t\tc [style=invis height=0 width=0]",
    "\t\td [style=invis height=0 width=0]",
    "\t\te [style=invis height=0 width=0]",
    "\t\tf [style=invis height=0 width=0]",
    "\t\tg [style=invis height=0 width=0]",
    "\t\th [style=invis height=0 width=0]",
    "\t\t{rank=source a b c d}",
    "\t\t{rank=same e f g h}",
    "\t\ta -> b [label=\"added connection\", color=\"#008000\" fontcolor=\"#008000\" fontsize = 10 arrowsize=0.2]",
    "\t\tc -> d [label=\"removed connection\", color=\"red2\" fontcolor=\"red2\" fontsize = 10 arrowsize=0.2]",
    "\t\te -> f [label=\"changed connection\", color=\"magenta\" fontcolor=\"magenta\" fontsize = 10 arrowsize=0.2]",
    "\t\tg -> h [label=\"unchanged connection\", color=\"grey\" fontcolor=\"grey\" fontsize = 10 arrowsize=0.2]",
    "\t\tnp [label=\"new peer\" color=\"#008000\" fontcolor=\"#008000\" fontsize = 10]",
    "\t\tlp [label=\"lost peer\" color=\"red\" fontcolor=\"red\" fontsize = 10]",
    "\t\tpp [label=\"persistent peer\" color=\"blue\" fontcolor=\"blue\" fontsize = 10]",
    "\t\t{rank=sink np lp pp}",
    "\t\tnp->lp [style=invis]",
    "\t\tlp->pp [style=invis]",
    "\t}",
  ]
}
