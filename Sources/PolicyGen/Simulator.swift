import Analysis
import KubeModel
import Reachability

/// The outcome of a replayed flow.
public enum SimulationOutcome: String, Sendable {
  case allowed
  case denied
  /// The L3/L4 tiers and the mesh transport let it through, and the mesh's authorization
  /// hinges on HTTP fields: its own outcome, not counted as broken.
  case dependsOnL7 = "depends-on-L7"
}

/// One replayed flow: the flow and the explanation the engine's walk gives for it.
public struct SimulatedFlow: Sendable {
  public var flow: ResolvedFlow
  /// As `kubereach explain` gives it (one per pod pair or backend when they differ).
  public var explanations: [FlowExplanation]
  /// The final verdict (L3/L4 tiers, then the mesh).
  public var allowed: Bool
  public var outcome: SimulationOutcome
}

/// The replay of flows against a cluster's policies.
public struct SimulationReport: Sendable {
  public var flows: [SimulatedFlow]
  /// Input flows that matched nothing in the manifests (also given as warnings).
  public var unresolved: Int
  /// Lines skipped by the reader, by reason.
  public var skipped: [String: Int]

  /// Flows that would be denied.
  public var broken: [SimulatedFlow] { flows.filter { $0.outcome == .denied } }

  /// Flows whose mesh authorization depends on HTTP fields.
  public var dependsOnL7: [SimulatedFlow] { flows.filter { $0.outcome == .dependsOnL7 } }
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
      let onL7 =
        !allowed && !explanations.isEmpty
        && explanations.allSatisfy { e in
          e.allowed
            || (e.networkAllowed && e.meshTransport?.passes != false && e.meshAuthorization == .dependsOnL7)
        }
      out.append(
        SimulatedFlow(
          flow: flow, explanations: explanations, allowed: allowed,
          outcome: allowed ? .allowed : onL7 ? .dependsOnL7 : .denied))
    }
    return SimulationReport(flows: out, unresolved: unresolved, skipped: skipped)
  }

  /// The name `explain` resolves: `ns/name`, or the first address of an external block.
  static func endpointText(_ p: FlowPeer, _ cluster: Cluster) -> String {
    if case .external(let c) = p { return c.range.lowerAddress.description }
    return p.name(in: cluster)
  }
}
