import Analysis
import KubeModel
import Reachability

/// netpol-analyzer's `--explain` text: pairs with specific reasons, then pairs that only the
/// system default allows.
public struct ExplainTextRenderer: Sendable {
  /// Creates the renderer.
  public init() {}

  static let pairSeparator = String(repeating: "-", count: 160) + "\n"
  static let specificHeader = "Specific connections and their reasons"
  static let systemDefaultHeader = "All Connections due to the system default (Allow all)"

  /// The whole explanation as UTF-8 text, in memory.
  public func render(_ report: ExplainReport) -> [UInt8] {
    let collector = ByteCollector()
    render(report, into: collector)
    return collector.bytes
  }

  /// The explanation as UTF-8 text, written into a byte buffer (no String concatenation: the
  /// 1,000-pod explanation is about 87 MB) that is passed on to `sink` every 64 KiB or so.
  public func render(_ report: ExplainReport, into sink: any OutputSink) {
    var out: [UInt8] = []
    let blocks = DirectionBlocks()
    func pass() {
      if out.count < ByteWriter.chunk { return }
      sink.write(out)
      out.removeAll(keepingCapacity: true)
    }
    var anySpecific = false
    var anyDefault = false
    for pair in report.pairs {
      if pair.isSystemDefaultOnly { anyDefault = true } else { anySpecific = true }
      if anySpecific && anyDefault { break }
    }
    if anySpecific {
      Self.append(Self.header(Self.specificHeader), to: &out)
      for pair in report.pairs where !pair.isSystemDefaultOnly {
        Self.append(Self.pairSeparator, to: &out)
        Self.pairText(pair, blocks: blocks, into: &out)
        out.append(UInt8(ascii: "\n"))
        pass()
      }
    }
    if anyDefault {
      Self.append(Self.header(Self.systemDefaultHeader), to: &out)
      for pair in report.pairs where pair.isSystemDefaultOnly {
        Self.append(pair.source.name, to: &out)
        Self.append(" => ", to: &out)
        Self.append(pair.destination.name, to: &out)
        out.append(UInt8(ascii: "\n"))
        pass()
      }
    }
    sink.write(out)
  }

  /// The explanation followed, when the connectivity report carries one, by the exposure
  /// analysis section (as `--explain --exposure` prints it).
  public func render(_ report: ExplainReport, connectivity: ConnectivityReport?) -> [UInt8] {
    let collector = ByteCollector()
    render(report, connectivity: connectivity, into: collector)
    return collector.bytes
  }

  /// The same, written into `sink` as it goes.
  public func render(_ report: ExplainReport, connectivity: ConnectivityReport?, into sink: any OutputSink) {
    guard let connectivity, let exposure = connectivity.exposure else { return render(report, into: sink) }
    let explanation = CountingSink(sink)
    render(report, into: explanation)
    var section = ByteWriter(into: sink)
    if explanation.holdsText { section.write("\n") }
    ExposureRendering.textSection(connectivity, exposure, into: &section)
    section.flush()
  }

  /// The explanation followed, when the connectivity report carries one, by the exposure
  /// analysis section (as `--explain --exposure` prints it).
  public func text(_ report: ExplainReport, connectivity: ConnectivityReport?) -> String {
    String(decoding: render(report, connectivity: connectivity), as: UTF8.self)
  }

  /// The whole explanation.
  public func text(_ report: ExplainReport) -> String {
    String(decoding: render(report), as: UTF8.self)
  }

  static func append(_ s: String, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { out.append(contentsOf: $0) }
  }

  static func header(_ title: String) -> String {
    let bar = String(repeating: "#", count: title.count + 4)
    return "\n\(bar)\n# \(title) #\n\(bar)\n"
  }

  /// One pair: `Connections between A => B:` and its allowed and denied groups.
  static func pairText(_ pair: ExplainedPair) -> String {
    var out: [UInt8] = []
    pairText(pair, blocks: DirectionBlocks(), into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  static func pairText(_ pair: ExplainedPair, blocks: DirectionBlocks, into out: inout [UInt8]) {
    append("Connections between ", to: &out)
    append(pair.source.name, to: &out)
    append(" => ", to: &out)
    append(pair.destination.name, to: &out)
    append(":\n\n", to: &out)
    var anyAllowed = false
    var anyDenied = false
    for group in pair.groups {
      if group.allowed { anyAllowed = true } else { anyDenied = true }
    }
    if anyAllowed {
      append("Allowed connections:\n", to: &out)
      var first = true
      for group in pair.groups where group.allowed {
        if !first { out.append(UInt8(ascii: "\n")) }
        first = false
        groupText(group, pair: pair, blocks: blocks, into: &out)
      }
    }
    if anyDenied {
      if anyAllowed { out.append(UInt8(ascii: "\n")) }
      append("Denied connections:\n", to: &out)
      var first = true
      for group in pair.groups where !group.allowed {
        if !first { out.append(UInt8(ascii: "\n")) }
        first = false
        groupText(group, pair: pair, blocks: blocks, into: &out)
      }
    }
  }

  static func groupText(
    _ group: ExplainGroup, pair: ExplainedPair, blocks: DirectionBlocks, into out: inout [UInt8]
  ) {
    append(group.allowed ? "\tAllowed " : "\tDenied ", to: &out)
    append(group.connectionsText, to: &out)
    if group.isSystemDefaultOnly {
      append(" due to the system default (Allow all)\n", to: &out)
      return
    }
    append(" due to the following policies and rules:\n", to: &out)
    let source = pair.source.name
    let destination = pair.destination.name
    blocks.append(.egress, group.egress, subject: source, peer: destination, into: &out)
    blocks.append(.ingress, group.ingress, subject: destination, peer: source, into: &out)
  }

  /// One direction's block of a group: its verdict and its reasons, sorted by sentence and
  /// grouped into `<Kind> list:` blocks as netpol-analyzer prints them.
  static func directionText(
    _ direction: Direction, _ verdict: DirectionVerdict, subject: String, peer: String,
    into out: inout [UInt8]
  ) {
    let name = direction == .egress ? "Egress" : "Ingress"
    let state = verdict.allowed ? "Allowed" : "Denied"
    // netpol-analyzer prints nothing for a direction whose reasons it lost.
    if verdict.reasons.isEmpty { return }
    if verdict.isSystemDefaultOnly {
      append("\t\t\(name) (\(state)) due to the system default (Allow all)\n", to: &out)
      return
    }
    append("\t\t", to: &out)
    append(name, to: &out)
    append(" (", to: &out)
    append(state, to: &out)
    append(")\n", to: &out)
    var i = 0
    let reasons = ExplainSentences.sorted(verdict.reasons, subject: subject, peer: peer)
    while i < reasons.count {
      var j = i + 1
      let kind = reasons[i].reason.kind
      while j < reasons.count && !kind.isEmpty && reasons[j].reason.kind == kind {
        j += 1
      }
      if j - i > 1 {
        append("\t\t\t", to: &out)
        append(kind, to: &out)
        append(" list:\n", to: &out)
        for reason in reasons[i..<j] {
          append("\t\t\t\t- ", to: &out)
          append(reason.text, to: &out)
          out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
      } else {
        append("\t\t\t", to: &out)
        append(reasons[i].text, to: &out)
        out.append(UInt8(ascii: "\n"))
      }
      i = j
    }
  }
}

/// The printed blocks of direction verdicts with the pair's names left open, built once per
/// verdict and filled in per pair: many pairs share a verdict, and its sentences, their order
/// and their grouping do not depend on the names. When the order could depend on them (two
/// sentences that first differ where a name stands), the block is written per pair instead.
final class DirectionBlocks {
  enum Piece {
    case text([UInt8])
    case subject
    case peer
  }
  struct Entry {
    /// Kept so that the verdict's identity is not reused while the entry lives.
    var verdict: DirectionVerdict
    /// nil: the order depends on the names.
    var pieces: [Piece]?
  }
  struct Key: Hashable {
    var verdict: ObjectIdentifier
    var direction: Direction
  }
  private static let subjectMark = "\u{1}"
  private static let peerMark = "\u{2}"
  private var entries: [Key: Entry] = [:]

  /// Writes the block of `verdict` for one pair.
  func append(
    _ direction: Direction, _ verdict: DirectionVerdict, subject: String, peer: String,
    into out: inout [UInt8]
  ) {
    let key = Key(verdict: verdict.identity, direction: direction)
    let entry = entries[key] ?? Self.entry(direction, verdict)
    entries[key] = entry
    guard let pieces = entry.pieces else {
      ExplainTextRenderer.directionText(direction, verdict, subject: subject, peer: peer, into: &out)
      return
    }
    for piece in pieces {
      switch piece {
      case .text(let bytes): out.append(contentsOf: bytes)
      case .subject: ExplainTextRenderer.append(subject, to: &out)
      case .peer: ExplainTextRenderer.append(peer, to: &out)
      }
    }
  }

  static func entry(_ direction: Direction, _ verdict: DirectionVerdict) -> Entry {
    let marks: Set<Unicode.Scalar> = ["\u{1}", "\u{2}"]
    let fields = verdict.reasons.flatMap { [$0.tier, $0.policy, $0.rule] }
    if fields.contains(where: { $0.unicodeScalars.contains(where: marks.contains) }) {
      return Entry(verdict: verdict, pieces: nil)
    }
    let sentences = ExplainSentences.sorted(verdict.reasons, subject: subjectMark, peer: peerMark)
      .map { Array($0.text.unicodeScalars) }
    for (a, b) in zip(sentences, sentences.dropFirst()) {
      guard let first = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) else { continue }
      if marks.contains(a[first]) || marks.contains(b[first]) {
        return Entry(verdict: verdict, pieces: nil)
      }
    }
    var bytes: [UInt8] = []
    ExplainTextRenderer.directionText(direction, verdict, subject: subjectMark, peer: peerMark, into: &bytes)
    var pieces: [Piece] = []
    var run: [UInt8] = []
    for byte in bytes {
      if byte == 1 || byte == 2 {
        if !run.isEmpty { pieces.append(.text(run)) }
        run = []
        pieces.append(byte == 1 ? .subject : .peer)
      } else {
        run.append(byte)
      }
    }
    if !run.isEmpty { pieces.append(.text(run)) }
    return Entry(verdict: verdict, pieces: pieces)
  }
}

/// Renders `kubereach explain` results: a readable explanation (txt) or one JSON object.
public struct FlowExplanationRenderer: Sendable {
  /// Creates the renderer.
  public init() {}

  /// The explanations as text: the final verdict, then per part of the connection space the
  /// verdict of each direction with the policies and rules that decided it.
  public func text(_ flows: [FlowExplanation]) -> String {
    var out = ""
    if flows.count > 1 {
      out += "Verdict: \(Self.overall(flows) ? "allowed" : "denied")\n\n"
    }
    out += flows.map(Self.flowText).joined(separator: "\n")
    return out
  }

  /// Whether every backend allows the flow (a flow to one peer: whether it is allowed).
  static func overall(_ flows: [FlowExplanation]) -> Bool {
    FlowExplanation.allAllowed(flows)
  }

  static func what(_ flow: FlowExplanation) -> String {
    guard let transport = flow.transport else { return "all protocols and ports" }
    guard let port = flow.port else { return "\(transport.rawValue), all ports" }
    return "\(transport.rawValue) \(port)"
  }

  static func flowText(_ flow: FlowExplanation) -> String {
    var out = "Flow: \(flow.source.name) => \(flow.destination.name)"
    if let service = flow.service, let servicePort = flow.servicePort {
      out += " (through Service \(service) port \(servicePort)"
      if let target = flow.targetPort { out += ", target port \(target)" }
      out += ")"
    }
    out += " on \(what(flow))\n"
    if flow.source.kind == flow.destination.kind, case .workload = flow.source.kind {
      out += "Asked between distinct pods of \(flow.source.name) (a pod's traffic to itself is always allowed)\n"
    }
    if let note = flow.note {
      return out + "Verdict: denied (\(note))\n"
    }
    if flow.port != nil {
      if !flow.allowed && flow.meshAuthorization == .dependsOnL7 && flow.meshTransport?.passes == true {
        out += "Verdict: not allowed for certain: depends on L7 (HTTP-only fields of an AuthorizationPolicy decide)\n"
      } else {
        out += "Verdict: \(flow.allowed ? "allowed" : "denied")\n"
      }
    } else {
      out +=
        flow.allowed
        ? "Verdict: allowed on \(flow.allowedConnections)\n"
        : "Verdict: denied (no connection allowed)\n"
    }
    if let transport = flow.meshTransport, let authorization = flow.meshAuthorization {
      out += "Network (L3/L4): \(flow.networkAllowed ? "allowed" : "denied")\n"
      out += "Transport: \(transport.rawValue)\n"
      out += "Authorization: \(authorization.rawValue)\n"
    }
    out += selectionText("Egress", at: flow.source.name, flow.egressSelectedBy)
    out += selectionText("Ingress", at: flow.destination.name, flow.ingressSelectedBy)
    out += meshText(flow)
    for group in flow.groups {
      out += "\n\(group.allowed ? "Allowed" : "Denied") \(group.connectionsText):\n"
      out += directionText(
        "Egress", at: flow.source.name, peer: flow.destination.name, group.egress,
        endpointIsPeer: isPod(flow.source))
      out += directionText(
        "Ingress", at: flow.destination.name, peer: flow.source.name, group.ingress,
        endpointIsPeer: isPod(flow.destination))
    }
    return out
  }

  /// The mesh parts with their reasons (nothing when the mesh is off or untouched).
  static func meshText(_ flow: FlowExplanation) -> String {
    guard let mesh = flow.mesh, !mesh.isUntouched else { return "" }
    var out = ""
    for part in mesh.parts where !part.isUntouched {
      out +=
        "\nMesh \(part.connections): transport \(part.transport.rawValue), authorization \(part.authorization.rawValue)\n"
      for reason in part.reasons {
        out += "  - \(reason.part): \(reason.text)"
        if let object = reason.object { out += " (\(object)) [\(object.location)]" }
        out += "\n"
      }
    }
    return out
  }

  /// `Egress at X is selected by ...`, or that nothing selects it.
  static func selectionText(_ name: String, at subject: String, _ policies: [String]?) -> String {
    guard let policies else { return "" }
    if policies.isEmpty { return "\(name) at \(subject): selected by no policy\n" }
    return "\(name) at \(subject): selected by \(policies.joined(separator: ", "))\n"
  }

  static func isPod(_ peer: ReportPeer) -> Bool {
    switch peer.kind {
    case .workload, .pod: true
    case .external, .ingressController: false
    }
  }

  static func directionText(
    _ name: String, at subject: String, peer: String, _ verdict: DirectionVerdict,
    endpointIsPeer: Bool
  )
    -> String
  {
    let state = verdict.allowed ? "allowed" : "denied"
    guard endpointIsPeer else {
      return "  \(name): \(state) (\(subject) is outside the cluster; not evaluated)\n"
    }
    if verdict.isSystemDefaultOnly {
      return
        "  \(name) at \(subject): \(state): no policy selects it for \(name.lowercased()) (system default: allow all)\n"
    }
    var out = "  \(name) at \(subject): \(state)\n"
    for (reason, text) in ExplainSentences.sorted(verdict.reasons, subject: subject, peer: peer) {
      out += "    - \(text)"
      if let location = reason.location { out += " [\(location)]" }
      out += "\n"
    }
    return out
  }

  /// One JSON object: `allowed`, `network`, `reasons` (each with the connections it explains),
  /// and per backend or part of the connection space the details.
  public func json(_ flows: [FlowExplanation]) -> String {
    let allowed = Self.overall(flows)
    var fields: [String] = []
    if let first = flows.first {
      fields.append("\"source\": \(JSONRenderer.quote(first.source.name))")
      if let service = first.service {
        fields.append("\"destination\": \(JSONRenderer.quote("svc:" + service))")
      } else {
        fields.append("\"destination\": \(JSONRenderer.quote(first.destination.name))")
      }
    }
    fields.append("\"allowed\": \(allowed)")
    fields.append(
      "\"connections\": \(JSONRenderer.quote(FlowExplanation.commonConnections(flows).description))")
    let network = !flows.isEmpty && flows.allSatisfy(\.networkAllowed)
    fields.append("\"network\": \"\(network ? "allowed" : "denied")\"")
    if let first = flows.first, let transport = first.meshTransport, let authorization = first.meshAuthorization {
      // Several pairs or backends: the worst outcome speaks for all.
      let transports = flows.compactMap(\.meshTransport)
      let authorizations = flows.compactMap(\.meshAuthorization)
      let t = transports.first { !$0.passes } ?? transport
      let a =
        authorizations.first { $0 == .denied } ?? authorizations.first { $0 == .dependsOnL7 } ?? authorization
      fields.append("\"transport\": \(JSONRenderer.quote(t.rawValue))")
      fields.append("\"authorization\": \(JSONRenderer.quote(a.rawValue))")
    }
    let reasons = flows.flatMap { flow in
      flow.groups.flatMap { Self.reasonObjects(flow, $0) } + Self.meshReasonObjects(flow)
    }
    fields.append("\"reasons\": " + Self.array(reasons, indent: "  "))
    let flowObjects = flows.map(Self.flowObject)
    fields.append("\"flows\": " + Self.array(flowObjects, indent: "  "))
    return "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n"
  }

  static func array(_ items: [String], indent: String) -> String {
    if items.isEmpty { return "[]" }
    let inner = indent + "  "
    return "[\n"
      + items.map { inner + $0.replacingOccurrences(of: "\n", with: "\n" + inner) }
      .joined(separator: ",\n") + "\n" + indent + "]"
  }

  static func object(_ fields: [(String, String)]) -> String {
    "{" + fields.map { "\(JSONRenderer.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
  }

  static func reasonObjects(_ flow: FlowExplanation, _ group: ExplainGroup) -> [String] {
    var out: [String] = []
    let sides = [
      ("Egress", group.egress, isPod(flow.source), flow.source.name, flow.destination.name),
      ("Ingress", group.ingress, isPod(flow.destination), flow.destination.name, flow.source.name),
    ]
    for (direction, verdict, evaluated, subject, peer) in sides where evaluated {
      for (reason, _) in ExplainSentences.sorted(verdict.reasons, subject: subject, peer: peer) {
        out.append(
          object([
            ("tier", JSONRenderer.quote(reason.tier)),
            ("direction", JSONRenderer.quote(direction)),
            ("policy", JSONRenderer.quote(reason.policy)),
            ("rule", JSONRenderer.quote(reason.rule)),
            ("location", reason.location.map { JSONRenderer.quote($0.description) } ?? "null"),
            ("effect", JSONRenderer.quote(reason.effect.rawValue)),
            ("destination", JSONRenderer.quote(flow.destination.name)),
            ("connections", JSONRenderer.quote(group.connectionsText)),
            ("verdict", JSONRenderer.quote(verdict.allowed ? "allowed" : "denied")),
          ]))
      }
    }
    return out
  }

  static func meshReasonObjects(_ flow: FlowExplanation) -> [String] {
    guard let mesh = flow.mesh else { return [] }
    var out: [String] = []
    for part in mesh.parts where !part.isUntouched {
      for reason in part.reasons {
        out.append(
          object([
            ("tier", JSONRenderer.quote("Mesh")),
            ("part", JSONRenderer.quote(reason.part)),
            ("kind", reason.object.map { JSONRenderer.quote($0.kind) } ?? "null"),
            ("policy", reason.object.map { JSONRenderer.quote("\($0.namespace)/\($0.name)") } ?? "null"),
            ("location", reason.object.map { JSONRenderer.quote($0.location.description) } ?? "null"),
            ("text", JSONRenderer.quote(reason.text)),
            ("destination", JSONRenderer.quote(flow.destination.name)),
            ("connections", JSONRenderer.quote(part.connections.description)),
            ("transport", JSONRenderer.quote(part.transport.rawValue)),
            ("authorization", JSONRenderer.quote(part.authorization.rawValue)),
          ]))
      }
    }
    return out
  }

  static func flowObject(_ flow: FlowExplanation) -> String {
    var fields: [(String, String)] = [
      ("source", JSONRenderer.quote(flow.source.name)),
      ("destination", JSONRenderer.quote(flow.destination.name)),
    ]
    if let service = flow.service { fields.append(("service", JSONRenderer.quote(service))) }
    if let servicePort = flow.servicePort { fields.append(("servicePort", "\(servicePort)")) }
    if let transport = flow.transport {
      fields.append(("protocol", JSONRenderer.quote(transport.rawValue)))
    }
    if let port = flow.port { fields.append(("port", "\(port)")) }
    fields.append(("allowed", "\(flow.allowed)"))
    fields.append(("connections", JSONRenderer.quote(flow.allowedConnections.description)))
    if let transport = flow.meshTransport, let authorization = flow.meshAuthorization {
      fields.append(("network", JSONRenderer.quote(flow.networkAllowed ? "allowed" : "denied")))
      fields.append(("transport", JSONRenderer.quote(transport.rawValue)))
      fields.append(("authorization", JSONRenderer.quote(authorization.rawValue)))
      let parts = (flow.mesh?.parts ?? []).map { part in
        object([
          ("connections", JSONRenderer.quote(part.connections.description)),
          ("transport", JSONRenderer.quote(part.transport.rawValue)),
          ("authorization", JSONRenderer.quote(part.authorization.rawValue)),
          ("allowed", "\(part.allowed)"),
        ])
      }
      fields.append(("mesh", "[" + parts.joined(separator: ", ") + "]"))
    }
    if let note = flow.note { fields.append(("note", JSONRenderer.quote(note))) }
    let groups = flow.groups.map { group in
      object([
        ("allowed", "\(group.allowed)"),
        ("connections", JSONRenderer.quote(group.connectionsText)),
        ("egress", JSONRenderer.quote(group.egress.allowed ? "allowed" : "denied")),
        ("ingress", JSONRenderer.quote(group.ingress.allowed ? "allowed" : "denied")),
      ])
    }
    fields.append(("parts", "[" + groups.joined(separator: ", ") + "]"))
    func names(_ list: [String]?) -> String {
      list.map { "[" + $0.map(JSONRenderer.quote).joined(separator: ", ") + "]" } ?? "null"
    }
    fields.append(("egressSelectedBy", names(flow.egressSelectedBy)))
    fields.append(("ingressSelectedBy", names(flow.ingressSelectedBy)))
    return "{\n  "
      + fields.map { "\(JSONRenderer.quote($0.0)): \($0.1)" }.joined(separator: ",\n  ") + "\n}"
  }
}
