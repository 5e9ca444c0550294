import Analysis
import KubeModel
import PolicyGen

/// Writes a flow replay (`kubereach simulate`) as text or JSON.
public struct SimulationRenderer: Sendable {
  public init() {}

  /// One block per flow (verdict, flow, then the reasons of each direction), then the summary.
  public func text(_ report: SimulationReport, cluster: Cluster) -> String {
    var out = ""
    for f in report.flows {
      let verdict = f.outcome == .allowed ? "ALLOWED" : f.outcome == .denied ? "DENIED " : "DEPENDS-ON-L7"
      out += "\(verdict) \(f.flow.summary(in: cluster)) (seen \(f.flow.count)x, \(f.flow.location))\n"
      for e in f.explanations {
        if let note = e.note { out += "  note: \(note)\n" }
        for g in e.groups {
          for (name, v, evaluated, subject, peer) in [
            ("egress", g.egress, FlowExplanationRenderer.isPod(e.source), e.source.name, e.destination.name),
            ("ingress", g.ingress, FlowExplanationRenderer.isPod(e.destination), e.destination.name, e.source.name),
          ] where evaluated {
            let reasons = ExplainSentences.sorted(v.reasons, subject: subject, peer: peer).map(\.text)
              .joined(separator: "; ")
            out += "  \(name) \(v.allowed ? "allowed" : "denied"): \(reasons)\n"
          }
        }
        for line in FlowExplanationRenderer.meshText(e).split(separator: "\n") { out += "  \(line)\n" }
      }
    }
    out += summaryText(report, cluster: cluster)
    return out
  }

  func summaryText(_ report: SimulationReport, cluster: Cluster) -> String {
    let broken = report.broken
    let onL7 = report.dependsOnL7.count
    var out =
      "summary: \(report.flows.count) flows replayed, \(report.flows.count - broken.count - onL7) allowed, \(broken.count) would break"
    if onL7 > 0 { out += ", \(onL7) depend on L7 (HTTP) authorization" }
    if report.unresolved > 0 { out += ", \(report.unresolved) not matched in the manifests (see warnings)" }
    out += "\n"
    for f in broken { out += "breaks: \(f.flow.summary(in: cluster))\n" }
    return out
  }

  /// `{"flows": [...], "summary": {...}}`; each flow holds the flow, `allowed` and the reasons
  /// as `explain -o json` gives them.
  public func json(_ report: SimulationReport, cluster: Cluster) -> String {
    func fields(_ f: ResolvedFlow) -> [(String, String)] {
      [
        ("source", JSONRenderer.quote(f.source.name(in: cluster))),
        ("destination", JSONRenderer.quote(f.destination.name(in: cluster))),
        ("protocol", JSONRenderer.quote(f.transport.rawValue)),
        ("port", "\(f.port)"),
      ]
    }
    let flows = report.flows.map { f -> String in
      var flow = fields(f.flow)
      flow.append(("count", "\(f.flow.count)"))
      flow.append(("location", JSONRenderer.quote(f.flow.location.description)))
      if !f.flow.destinationNames.isEmpty {
        flow.append(
          ("destinationNames", "[" + f.flow.destinationNames.map(JSONRenderer.quote).joined(separator: ", ") + "]"))
      }
      let reasons = f.explanations.flatMap { e in
        e.groups.flatMap { FlowExplanationRenderer.reasonObjects(e, $0) } + FlowExplanationRenderer.meshReasonObjects(e)
      }
      return "{\n  \"flow\": " + FlowExplanationRenderer.object(flow)
        + ",\n  \"allowed\": \(f.allowed),\n  \"outcome\": \"\(f.outcome.rawValue)\",\n  \"reasons\": "
        + FlowExplanationRenderer.array(reasons, indent: "  ") + "\n}"
    }
    let broken = report.broken.map { FlowExplanationRenderer.object(fields($0.flow)) }
    let summary = FlowExplanationRenderer.object([
      ("flows", "\(report.flows.count)"),
      ("allowed", "\(report.flows.count - broken.count - report.dependsOnL7.count)"),
      ("denied", "\(broken.count)"), ("dependsOnL7", "\(report.dependsOnL7.count)"),
      ("unresolved", "\(report.unresolved)"),
      ("broken", "[" + broken.joined(separator: ", ") + "]"),
    ])
    return "{\n  \"flows\": " + FlowExplanationRenderer.array(flows, indent: "  ") + ",\n  \"summary\": " + summary
      + "\n}\n"
  }
}
