import Analysis
import KubeModel
import Reachability

/// The exposure-analysis sections of each output format, as netpol-analyzer writes them.
enum ExposureRendering {
  /// `Exposure Analysis Result:` or, under a connection focus, `... On TCP 8080:`.
  static func header(_ report: ConnectivityReport) -> String {
    report.focusConnection.map { "Exposure Analysis Result On \($0):" }
      ?? "Exposure Analysis Result:"
  }

  /// The connections of a line as every format prints them: `All Connections`, `No
  /// Connections`, or protocols by name with ranges then sorted unresolved port names (`TCP
  /// 80,http,UDP 53`; names without a protocol come first, ` http`), and ` [plaintext]` after
  /// a mesh-plaintext line.
  static func connections(_ line: ExposureReport.Line) -> String {
    let ports = line.connections
    let names = line.unresolvedPortNames
    var text: String
    if names.isEmpty || ports.isAll {
      text = ports.description
    } else {
      var protocols = Set(names.keys)
      for proto in ports.protocols { protocols.insert(proto.rawValue) }
      text = protocols.sorted().map { proto in
        let ranges =
          TransportProtocol(rawValue: proto).map { (ports.ranges[$0] ?? []).map(\.description) } ?? []
        let items = ranges + (names[proto] ?? []).sorted()
        return "\(proto) \(items.joined(separator: ","))"
      }.joined(separator: ",")
    }
    if line.meshPlaintext { text += " [plaintext]" }
    return text
  }

  /// `<peer> is not protected on Ingress|Egress`.
  static func sentence(_ item: ExposureReport.Unprotected) -> String {
    "\(item.peer.name) is not protected on \(item.direction.rawValue)"
  }

  /// The width of the widest exposed name of the egress and ingress lines, to which the text
  /// format pads the first column.
  static func peerColumnWidth(_ exposure: ExposureReport) -> Int {
    (exposure.egress + exposure.ingress).map(\.exposed.name.utf8.count).max() ?? 0
  }

  /// The source and destination names of a line (ingress lines end at the exposed workload).
  static func ends(_ line: ExposureReport.Line, ingress: Bool) -> (src: String, dst: String) {
    ingress ? (line.other.name, line.exposed.name) : (line.exposed.name, line.other.name)
  }

  // MARK: txt

  /// The text section appended after the connectivity lines (and a blank line), from its
  /// header on, written line by line.
  static func textSection(_ report: ConnectivityReport, _ exposure: ExposureReport, into out: inout ByteWriter) {
    out.write(header(report) + "\n")
    let focused = report.focusConnection != nil
    let width = peerColumnWidth(exposure)
    func lines(_ items: [ExposureReport.Line], ingress: Bool) {
      for item in items {
        let padding = String(repeating: " ", count: max(0, width - item.exposed.name.utf8.count))
        out.write(item.exposed.name + padding + " \t" + (ingress ? "<=" : "=>") + " \t" + item.other.name)
        if !focused { out.write(" : " + connections(item)) }
        out.write("\n")
      }
    }
    if !exposure.egress.isEmpty {
      out.write("Egress Exposure:\n")
      lines(exposure.egress, ingress: false)
    }
    if !exposure.ingress.isEmpty {
      if !exposure.egress.isEmpty { out.write("\n") }
      out.write("Ingress Exposure:\n")
      lines(exposure.ingress, ingress: true)
    }
    if !exposure.meshPlaintext.isEmpty {
      out.write("\nMesh servers taking plaintext from outside the mesh (PERMISSIVE or DISABLE):\n")
      lines(exposure.meshPlaintext, ingress: true)
    }
    if !exposure.unprotected.isEmpty && !focused {
      out.write("\nWorkloads not protected by network policies:\n")
      for item in exposure.unprotected { out.write(sentence(item) + "\n") }
    }
  }

  // MARK: csv

  /// The CSV section appended after the connectivity rows, written row by row.
  static func csv(_ report: ConnectivityReport, _ exposure: ExposureReport, into out: inout ByteWriter) {
    let focused = report.focusConnection != nil
    out.write(CSVRenderer.line([header(report), "", ""]))
    func rows(_ lines: [ExposureReport.Line], ingress: Bool) {
      out.write(
        CSVRenderer.line(
          ingress
            ? (focused ? ["dst", "src"] : ["dst", "src", "conn"])
            : (focused ? ["src", "dst"] : ["src", "dst", "conn"])))
      for item in lines {
        let (src, dst) = ends(item, ingress: ingress)
        var fields = ingress ? [dst, src] : [src, dst]
        if !focused { fields.append(connections(item)) }
        out.write(CSVRenderer.line(fields))
      }
    }
    if !exposure.egress.isEmpty {
      out.write(CSVRenderer.line(["Egress Exposure:", "", ""]))
      rows(exposure.egress, ingress: false)
    }
    if !exposure.ingress.isEmpty {
      out.write(CSVRenderer.line(["Ingress Exposure:", "", ""]))
      rows(exposure.ingress, ingress: true)
    }
  }

  // MARK: md

  /// The Markdown section appended after the connectivity table, written row by row.
  static func markdown(_ report: ConnectivityReport, _ exposure: ExposureReport, into out: inout ByteWriter) {
    let focused = report.focusConnection != nil
    out.write("## " + header(report) + "\n")
    func table(_ lines: [ExposureReport.Line], ingress: Bool) {
      out.write(
        focused
          ? (ingress ? "| dst | src |\n|-----|-----|\n" : "| src | dst |\n|-----|-----|\n")
          : (ingress
            ? "| dst | src | conn |\n|-----|-----|------|\n"
            : "| src | dst | conn |\n|-----|-----|------|\n"))
      for item in lines {
        let (src, dst) = ends(item, ingress: ingress)
        out.write(ingress ? "| \(dst) | \(src) |" : "| \(src) | \(dst) |")
        out.write(focused ? "\n" : " \(connections(item)) |\n")
      }
    }
    if !exposure.egress.isEmpty {
      out.write("### Egress Exposure:\n")
      table(exposure.egress, ingress: false)
    }
    out.write("\n")
    if !exposure.ingress.isEmpty {
      out.write("### Ingress Exposure:\n")
      table(exposure.ingress, ingress: true)
    }
  }

  // MARK: json

  /// The whole JSON document: the connectivity list, written row by row, and the exposure sections.
  static func json(_ report: ConnectivityReport, _ exposure: ExposureReport, into out: inout ByteWriter) {
    let focused = report.focusConnection != nil
    func object(_ src: String, _ dst: String, _ conn: String, indent: String) -> String {
      var fields = [("src", src), ("dst", dst)]
      if !focused { fields.append(("conn", conn)) }
      return indent + "{\n"
        + fields.map { "\(indent)  \(JSONRenderer.quote($0.0)): \(JSONRenderer.quote($0.1))" }
        .joined(separator: ",\n")
        + "\n" + indent + "}"
    }
    /// An exposure section's array, object by object (`null` for none, unless focused).
    func section(_ lines: [ExposureReport.Line], ingress: Bool) {
      if lines.isEmpty { return out.write(focused ? "[]" : "null") }
      for (index, item) in lines.enumerated() {
        out.write(index == 0 ? "[\n" : ",\n")
        let (src, dst) = ends(item, ingress: ingress)
        out.write(object(src, dst, connections(item), indent: "      "))
      }
      out.write("\n    ]")
    }
    let listKey = focused ? "connlist_conn_focus_results" : "connlist_results"
    let exposureKey = focused ? "exposure_conn_focus_results" : "exposure_results"
    out.write("{\n  \"\(listKey)\": ")
    if report.rows.isEmpty { out.write("[]") }
    for (index, row) in report.rows.enumerated() {
      out.write(index == 0 ? "[\n" : ",\n")
      out.write(object(row.source.name, row.destination.name, row.connections.description, indent: "    "))
      if index == report.rows.count - 1 { out.write("\n  ]") }
    }
    out.write(",\n  \"\(exposureKey)\": {\n    \"egress_exposure\": ")
    section(exposure.egress, ingress: false)
    out.write(",\n    \"ingress_exposure\": ")
    section(exposure.ingress, ingress: true)
    if !exposure.meshPlaintext.isEmpty {
      out.write(",\n    \"mesh_plaintext_exposure\": ")
      section(exposure.meshPlaintext, ingress: true)
    }
    out.write("\n  }\n}")
  }

  // MARK: dot

  /// The clusters of representative peers, the entire-cluster node and the exposure edges (ingress
  /// weighted 1, egress 0.5, dashed), for DOTRenderer to merge into its sorted sections.
  static func dotParts(_ exposure: ExposureReport) -> (clusters: [String], nodes: [String], edges: [String]) {
    var groups: [String: [String: String]] = [:]
    var entire = false
    var edges: [String] = []
    func node(_ endpoint: ExposureReport.Endpoint) -> String? {
      switch endpoint {
      case .peer: return nil
      case .entireCluster:
        entire = true
        return "entire-cluster"
      case .representative(let namespace, _, let pod):
        let name = "\(pod)_in_\(namespace)"
        groups[namespace, default: [:]][name] = pod
        return name
      }
    }
    for (lines, ingress) in [(exposure.egress, false), (exposure.ingress, true)] {
      for item in lines {
        guard let other = node(item.other) else { continue }
        let label = connections(item)
        let (src, dst) = ingress ? (other, item.exposed.name) : (item.exposed.name, other)
        let color = ingress ? "darkorange2" : "darkorange4"
        let weight = ingress ? "1" : "0.5"
        edges.append(
          "\t\(DOTRenderer.quote(src)) -> \(DOTRenderer.quote(dst)) [label=\(DOTRenderer.quote(label)) color=\"\(color)\" fontcolor=\"darkgreen\" weight=\(weight) style=dashed]"
        )
      }
    }
    var clusters: [String] = []
    for namespace in groups.keys.sorted() {
      clusters.append("\tsubgraph \(DOTRenderer.quote(DOTRenderer.clusterID(namespace))) {")
      clusters.append("\t\tcolor=\"red2\"")
      clusters.append("\t\tfontcolor=\"red2\"")
      for (name, label) in (groups[namespace] ?? [:]).sorted(by: { $0.key < $1.key }) {
        clusters.append(
          "\t\t\(DOTRenderer.quote(name)) [label=\(DOTRenderer.quote(label)) color=\"red2\" fontcolor=\"red2\"]"
        )
      }
      clusters.append("\t\tlabel=\(DOTRenderer.quote("\(namespace)[namespace]"))")
      clusters.append("\t}")
    }
    let nodes =
      entire ? ["\t\"entire-cluster\" [label=\"entire-cluster\" color=\"red2\" fontcolor=\"red2\" shape=diamond]"] : []
    return (clusters, nodes, edges)
  }
}
