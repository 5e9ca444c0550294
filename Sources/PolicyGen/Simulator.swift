import Analysis
import KubeModel
import Reachability

/// One replayed flow: the flow and the explanation the engine's walk gives for it.
public struct SimulatedFlow: Sendable {
  public var flow: ResolvedFlow
  /// As `kubereach explain` gives it (one per destination pod group).
  public var explanations: [FlowExplanation]
  /// The final verdict.
  public var allowed: Bool
}

/// The replay of flows against a cluster's policies.
public struct SimulationReport: Sendable {
  public var flows: [SimulatedFlow]
  /// Input flows that matched nothing in the manifests (also given as warnings).
  public var unresolved: Int
  /// Lines skipped by the reader, by reason.
  public var skipped: [String: Int]

  /// Flows that would be denied.
  public var broken: [SimulatedFlow] { flows.filter { !$0.allowed } }
}

/// Replays flows: for each, the verdict and reasons from the same explanation walk as
/// `kubereach explain`.
public enum Simulator {
  public static func run(
    cluster: Cluster, flows: [ResolvedFlow], unresolved: Int = 0, skipped: [String: Int] = [:],
    options: EngineOptions = .init()
  ) -> SimulationReport {
    let explainer = FlowExplainer(cluster: cluster, options: options)
    var out: [SimulatedFlow] = []
    for flow in flows {
      let explanations =
        (try? explainer.explain(
          source: endpointText(flow.source, cluster), destination: endpointText(flow.destination, cluster),
          port: flow.port, transport: flow.transport)) ?? []
      let allowed = !explanations.isEmpty && FlowExplanation.allAllowed(explanations)
      out.append(SimulatedFlow(flow: flow, explanations: explanations, allowed: allowed))
    }
    return SimulationReport(flows: out, unresolved: unresolved, skipped: skipped)
  }

  /// The name `explain` resolves: `ns/name`, or the first address of an external block.
  static func endpointText(_ p: FlowPeer, _ cluster: Cluster) -> String {
    if case .external(let c) = p { return c.range.lowerAddress.description }
    return p.name(in: cluster)
  }
}
