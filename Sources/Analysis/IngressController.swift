import KubeModel
import Reachability

/// The ingress controller stands for the unknown pod that forwards traffic from Ingress and
/// Route objects: a pod without labels in a namespace of its own, which the engine answers for
/// as a hypothetical pod.
public enum IngressControllerStandIn {
  /// The stand-in's namespace.
  public static let namespace = "ingress-controller-ns"
  /// The stand-in pod's name.
  public static let name = "ingress-controller"

  /// The stand-in as the engine's hypothetical pod: no labels, in its own namespace (which
  /// carries only its `kubernetes.io/metadata.name` label). It is never added to the `Cluster`.
  public static let pod = HypotheticalPod(namespace: namespace, name: name)

  /// For each reported entity that an Ingress or Route sends traffic to, the TCP ports it opens
  /// (the union over every object and Service that forwards to it).
  static func connections(
    cluster: Cluster, entities: [(peer: ReportPeer, pod: Int)]
  ) -> [(peer: ReportPeer, pod: Int, conns: ConnectionSet)] {
    entities.compactMap { peer, pod in
      let forwards = forwards(cluster: cluster, to: pod)
      guard !forwards.isEmpty else { return nil }
      return (peer, pod, forwards.reduce(ConnectionSet.none) { $0.union($1.ports) })
    }
  }

  /// The Ingress and Route objects that forward to a pod, one entry per object and Service: the
  /// backend Service port (by number, name or target port; every port when the object names
  /// none) translated to its target port, kept when the pod declares that TCP container port.
  public static func forwards(cluster: Cluster, to podIndex: Int) -> [IngressForward] {
    let pod = cluster.pods[podIndex]
    var out: [IngressForward] = []
    for ingress in cluster.ingresses where ingress.namespace == pod.namespace {
      var perService: [(service: String, ports: [PortRange])] = []
      for backend in ingress.backends {
        guard
          let service = cluster.services.first(where: {
            $0.namespace == ingress.namespace && $0.name == backend.service
          }),
          let selector = service.selector,
          LabelSelector(matchLabels: selector).matches(pod.labels)
        else { continue }
        let ports = accessPorts(of: service, requested: backend.port).compactMap { target in
          tcpPort(target, on: pod).map { PortRange($0, $0) }
        }
        if let i = perService.firstIndex(where: { $0.service == service.name }) {
          perService[i].ports += ports
        } else {
          perService.append((service.name, ports))
        }
      }
      for (service, ports) in perService {
        out.append(
          IngressForward(
            kind: ingress.kind.rawValue, name: "\(ingress.namespace)/\(ingress.name)", service: service,
            ports: ConnectionSet([.tcp: ports]), location: ingress.location))
      }
    }
    return out
  }

  /// The pod-side ports a Service reference reaches: the target port of the first Service port
  /// matching the reference, or of every Service port when there is no reference.
  static func accessPorts(of service: Service, requested: PortValue?) -> [PortValue] {
    guard let requested else { return service.ports.map(\.targetPort) }
    for servicePort in service.ports {
      let matches: Bool
      switch requested {
      case .number(let n): matches = servicePort.port == n || servicePort.targetPort == requested
      case .name(let s): matches = servicePort.name == s || servicePort.targetPort == requested
      }
      if matches { return [servicePort.targetPort] }
    }
    return []
  }

  /// The TCP port number a target port means on a pod, when the pod declares it.
  static func tcpPort(_ target: PortValue, on pod: Pod) -> Int? {
    let tcpPorts = pod.ports.filter { $0.protocol == .tcp }
    switch target {
    case .number(let n):
      return tcpPorts.contains { $0.port == n } ? n : nil
    case .name(let s):
      return tcpPorts.first { $0.name == s }?.port
    }
  }
}
