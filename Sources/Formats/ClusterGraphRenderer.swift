import Analysis
import KubeModel

/// `kubereach render`'s own drawing of a `ClusterGraph`: DOT text, or SVG and PNG laid out
/// in-process. Every text from the input is written as an escaped, quoted DOT string, never as
/// an HTML-like label, so Graphviz draws it as plain text.
public struct ClusterGraphRenderer: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    case svg, png, dot
  }

  /// PNG resolution.
  public static let pngDPI = 144
  /// A sans-serif face every Debian machine with Graphviz has (fonts-dejavu-core).
  public static let fontName = "DejaVu Sans"

  public init() {}

  public func render(_ graph: ClusterGraph, format: Format) throws(RenderError) -> [UInt8] {
    let text = dot(graph)
    switch format {
    case .dot: return Array(text.utf8)
    case .svg: return try Graphviz.render(dot: text, format: "svg")
    case .png: return try Graphviz.render(dot: text, format: "png", dpi: Self.pngDPI)
    }
  }

  // MARK: DOT

  /// A quoted DOT string: backslashes and quotes escaped (so Graphviz's `\N`, `\G` and `\l`
  /// escapes cannot be triggered by input), control characters replaced by spaces.
  public static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out += " "
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// Label lines, each escaped, joined with DOT's centred line break.
  static func label(_ lines: [String]) -> String {
    let inner = lines.map { String(quote($0).dropFirst().dropLast()) }.joined(separator: "\\n")
    return "\"" + inner + "\""
  }

  static func color(_ change: GraphChange) -> String {
    switch change {
    case .none: "#3b5b92"
    case .added: "#1a7f37"
    case .removed: "#cf222e"
    case .changed: "#d4760a"
    case .unchanged: "#8c959f"
    }
  }

  static func shape(_ kind: ClusterGraph.NodeKind) -> String {
    switch kind {
    case .workload: "shape=box style=\"rounded,filled\" fillcolor=\"#ffffff\""
    case .workloadGroup: "shape=box3d style=filled fillcolor=\"#ffffff\""
    case .namespace: "shape=tab style=filled fillcolor=\"#f6f8fa\""
    case .external: "shape=parallelogram style=filled fillcolor=\"#fff8e1\""
    case .ingressController: "shape=invhouse style=filled fillcolor=\"#e8f1fb\""
    case .entireCluster: "shape=doubleoctagon style=filled fillcolor=\"#fdecea\""
    }
  }

  static func nodeLine(_ node: ClusterGraph.Node, indent: String) -> String {
    let color = color(node.change)
    var attrs = "label=\(label(node.lines)) \(shape(node.kind)) color=\"\(color)\" fontcolor=\"\(color)\""
    if node.change == .removed { attrs += " penwidth=1.2 fillcolor=\"#fff0f0\"" }
    if node.change == .added { attrs += " penwidth=2" }
    return "\(indent)\(quote(node.id)) [\(attrs)]"
  }

  static func edgeLine(_ edge: ClusterGraph.Edge) -> String {
    var color = color(edge.change)
    var style = edge.change == .removed ? "dashed" : "solid"
    var width = edge.change == .added || edge.change == .removed || edge.change == .changed ? "1.6" : "1"
    switch edge.mesh {
    case .mtls?: width = "1.6"
    case .plaintext?: style = "dashed"
    case .rejected?: color = "#cf222e"
    case nil: break
    }
    return
      "\t\(quote(edge.from)) -> \(quote(edge.to)) [label=\(quote(edge.label)) color=\"\(color)\" fontcolor=\"\(color)\" style=\(style) penwidth=\(width)]"
  }

  /// The DOT text of the graph.
  public func dot(_ graph: ClusterGraph) -> String {
    var lines = ["digraph \"kubereach\" {"]
    var title = [graph.title] + graph.notes
    if graph.edges.isEmpty { title.append("No connections") }
    lines.append(
      "\tgraph [fontname=\(Self.quote(Self.fontName)) fontsize=14 rankdir=LR labelloc=t labeljust=l "
        + "nodesep=0.35 ranksep=1.1 newrank=true size=\"40,40\" label=\(Self.label(title))]")
    lines.append("\tnode [fontname=\(Self.quote(Self.fontName)) fontsize=11 margin=\"0.12,0.06\"]")
    lines.append("\tedge [fontname=\(Self.quote(Self.fontName)) fontsize=9 arrowsize=0.7]")
    var byNamespace: [String: [ClusterGraph.Node]] = [:]
    var loose: [ClusterGraph.Node] = []
    for node in graph.nodes {
      if let ns = node.namespace { byNamespace[ns, default: []].append(node) } else { loose.append(node) }
    }
    for (index, ns) in byNamespace.keys.sorted().enumerated() {
      lines.append("\tsubgraph \"cluster_\(index)\" {")
      lines.append(
        "\t\tlabel=\(Self.quote("namespace " + ns)) style=\"rounded,filled\" fillcolor=\"#f6f8fa\" color=\"#d0d7de\" fontsize=12"
      )
      for node in byNamespace[ns] ?? [] { lines.append(Self.nodeLine(node, indent: "\t\t")) }
      lines.append("\t}")
    }
    for node in loose { lines.append(Self.nodeLine(node, indent: "\t")) }
    for edge in graph.edges { lines.append(Self.edgeLine(edge)) }
    lines += legend(graph)
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// A legend of the shapes, colours and styles the graph uses.
  func legend(_ graph: ClusterGraph) -> [String] {
    var lines = [
      "\tsubgraph \"cluster_legend\" {",
      "\t\tlabel=\"Legend\" fontsize=11 style=\"rounded\" color=\"#d0d7de\" margin=8",
      "\t\tnode [fontsize=9 height=0.3]",
      "\t\tedge [fontsize=8]",
    ]
    let kinds = Set(graph.nodes.map(\.kind))
    let names: [(ClusterGraph.NodeKind, String)] = [
      (.workload, "workload (name, kind)"), (.workloadGroup, "workloads with identical connections"),
      (.namespace, "namespace"), (.external, "external addresses"), (.ingressController, "ingress controller"),
      (.entireCluster, "entire cluster"),
    ]
    var previous: String?
    for (kind, name) in names where kinds.contains(kind) || kind == .workload {
      let id = "legend:\(kind.rawValue)"
      let color = Self.color(graph.isDiff ? .unchanged : .none)
      lines.append(
        "\t\t\(Self.quote(id)) [label=\(Self.quote(name)) \(Self.shape(kind)) color=\"\(color)\" fontcolor=\"\(color)\"]"
      )
      if let previous { lines.append("\t\t\(Self.quote(previous)) -> \(Self.quote(id)) [style=invis]") }
      previous = id
    }
    var samples: [(String, ClusterGraph.Edge)] = []
    func sample(_ name: String, _ change: GraphChange, _ mesh: MeshEdgeStyle? = nil) {
      samples.append((name, ClusterGraph.Edge(from: "", to: "", label: name, change: change, mesh: mesh, flows: 1)))
    }
    if graph.isDiff {
      sample("added connection", .added)
      sample("removed connection", .removed)
      sample("changed connection", .changed)
      sample("unchanged connection", .unchanged)
    } else {
      sample("allowed connection", .none)
    }
    let meshes = Set(graph.edges.compactMap(\.mesh))
    if !meshes.isEmpty {
      sample("mesh: mTLS", .none, .mtls)
      sample("mesh: plaintext", .none, .plaintext)
      sample("mesh: rejected or denied", .none, .rejected)
    }
    for (index, (_, edge)) in samples.enumerated() {
      let a = "legend:e\(index)a"
      let b = "legend:e\(index)b"
      lines.append("\t\t\(Self.quote(a)) [label=\"\" shape=point width=0.05]")
      lines.append("\t\t\(Self.quote(b)) [label=\"\" shape=point width=0.05]")
      var line = Self.edgeLine(
        ClusterGraph.Edge(from: a, to: b, label: edge.label, change: edge.change, mesh: edge.mesh, flows: 1))
      line = "\t" + line
      lines.append(line)
    }
    if graph.isDiff {
      for (change, name) in [(GraphChange.added, "added workload"), (.removed, "removed workload")] {
        let node = ClusterGraph.Node(
          id: "legend:\(change.rawValue)", lines: [name], kind: .workload, namespace: nil, change: change)
        lines.append(Self.nodeLine(node, indent: "\t\t"))
      }
    }
    lines.append("\t}")
    return lines
  }
}
