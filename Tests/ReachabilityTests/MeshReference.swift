import KubeModel
import Reachability

/// The literal reading of SEMANTICS.md section 3 for one pod (or address) to one pod on one TCP
/// port: every query reads the cluster's objects directly, with no classes, profiles, cuts or
/// caches. The mesh stage's fast path must agree with it.
struct MeshReference {
  let cluster: Cluster
  let options: MeshOptions
  let nsLabels: [String: [String: String]]

  init(cluster: Cluster, options: MeshOptions = .init()) {
    self.cluster = cluster
    self.options = options
    self.nsLabels = cluster.namespaceLabelsByName()
  }

  enum Source {
    case pod(Int)
    case address(IPAddress)
  }

  func dataplane(_ p: Int) -> MeshDataplane {
    let pod = cluster.pods[p]
    return MeshMembership.dataplane(of: pod, namespaceLabels: nsLabels[pod.namespace] ?? [:], options: options)
  }

  func selects(_ selector: [String: String], _ pod: Pod) -> Bool {
    selector.allSatisfy { pod.labels[$0.key] == $0.value }
  }

  /// Services selecting the pod that expose the TCP target port, by namespace, name, port.
  func exposing(_ p: Int, _ port: Int) -> [(service: Service, port: ServicePort)] {
    let pod = cluster.pods[p]
    var out: [(service: Service, port: ServicePort)] = []
    for s in cluster.services where s.namespace == pod.namespace {
      guard let sel = s.selector, !sel.isEmpty, selects(sel, pod) else { continue }
      for sp in s.ports where sp.protocol == .tcp {
        var target: Int? = nil
        switch sp.targetPort {
        case .number(let n): target = n
        case .name(let n): target = pod.ports.first { $0.name == n && $0.protocol == .tcp }?.port
        }
        if target == port { out.append((s, sp)) }
      }
    }
    return out.sorted {
      ($0.service.namespace, $0.service.name, $0.port.port) < ($1.service.namespace, $1.service.name, $1.port.port)
    }
  }

  func oldest(_ list: [PeerAuthentication]) -> PeerAuthentication? {
    list.min { ($0.creationTimestamp ?? "~", $0.name) < ($1.creationTimestamp ?? "~", $1.name) }
  }

  func serverMode(_ p: Int, _ port: Int) -> MutualTLSMode {
    let pod = cluster.pods[p]
    let ambient = dataplane(p) == .ambient
    func usable(_ m: MutualTLSMode?) -> MutualTLSMode? {
      guard let m, m != .unset, !(ambient && m == .disable) else { return nil }
      return m
    }
    let pas = cluster.peerAuthentications
    if let w = oldest(pas.filter { $0.namespace == pod.namespace && $0.selector.map { selects($0, pod) } == true }) {
      if let entry = w.portModes[port], !exposing(p, port).isEmpty, let m = usable(entry) { return m }
      if let m = usable(w.mode) { return m }
    }
    if let n = oldest(pas.filter { $0.namespace == pod.namespace && $0.selector == nil }), let m = usable(n.mode) {
      return m
    }
    if let m = oldest(pas.filter { $0.namespace == options.rootNamespace && $0.selector == nil }),
      let mode = usable(m.mode)
    {
      return mode
    }
    return .permissive
  }

  func hostNames(_ host: String, _ drNamespace: String, _ svc: Service) -> Int? {
    let fqdn = "\(svc.name).\(svc.namespace).svc.cluster.local"
    if host == "*" { return 0 }
    if host.hasPrefix("*") { return fqdn.hasSuffix(host.dropFirst()) ? host.count - 1 : nil }
    let candidates = [
      "\(host).\(drNamespace).svc.cluster.local", "\(host).svc.cluster.local", "\(host).cluster.local", host,
    ]
    let dots = host.filter { $0 == "." }.count
    let full =
      dots == 0
      ? candidates[0] : dots == 1 ? candidates[1] : (dots == 2 && host.hasSuffix(".svc")) ? candidates[2] : host
    return full == fqdn ? 1000 : nil
  }

  func clientTLS(_ clientNs: String, _ via: (service: Service, port: ServicePort)) -> ClientTLSMode? {
    for ns in [clientNs, via.service.namespace, options.rootNamespace] {
      let matching = cluster.destinationRules.compactMap { dr -> (DestinationRule, Int)? in
        guard dr.namespace == ns, let r = hostNames(dr.host, dr.namespace, via.service) else { return nil }
        return (dr, r)
      }
      guard
        let dr = matching.min(by: {
          (-$0.1, $0.0.creationTimestamp ?? "~", $0.0.name) < (-$1.1, $1.0.creationTimestamp ?? "~", $1.0.name)
        })?.0
      else { continue }
      if let e = dr.portTLSModes[via.port.port], let m = e { return m }
      return dr.tlsMode
    }
    return nil
  }

  /// The waypoint a flow to ambient pod `d` goes through, read literally: by the flow's original
  /// addressing (a Service index, else the pod's IP), the resource's own `istio.io/use-waypoint`
  /// (`none`: no waypoint) else its namespace's, in `istio.io/use-waypoint-namespace` or the
  /// resource's namespace, used only when its Gateway's `istio.io/waypoint-for` (absent or
  /// unknown: service; no Gateway: all for a namespace label, else the label's own traffic)
  /// covers the addressing, and its listener's `allowedRoutes` accept the resource's namespace.
  func waypoint(_ d: Int, service: Int?) -> (name: String, namespace: String)? {
    let pod = cluster.pods[d]
    let labels: [String: String]
    let own: String
    let byResource: String
    if let service {
      labels = cluster.services[service].labels
      own = cluster.services[service].namespace
      byResource = "service"
    } else {
      labels = pod.labels
      own = pod.namespace
      byResource = "workload"
    }
    var chosen: (labels: [String: String], origin: String)
    if let v = labels["istio.io/use-waypoint"] {
      if v == "none" || v.isEmpty { return nil }
      chosen = (labels, byResource)
    } else if let v = nsLabels[own]?["istio.io/use-waypoint"] {
      if v == "none" || v.isEmpty { return nil }
      chosen = (nsLabels[own]!, "all")
    } else {
      return nil
    }
    let name = chosen.labels["istio.io/use-waypoint"]!
    let namespace = chosen.labels["istio.io/use-waypoint-namespace"].flatMap { $0.isEmpty ? nil : $0 } ?? own
    var type = chosen.origin
    if let gw = cluster.waypoints.first(where: { $0.namespace == namespace && $0.name == name }) {
      let label = gw.waypointFor ?? "service"
      type = ["service", "workload", "all", "none"].contains(label) ? label : "service"
      // The Gateway's HBONE listener must accept the labelled resource's namespace.
      let accepted: Bool
      switch gw.allowedNamespaces {
      case .same: accepted = own == gw.namespace
      case .all: accepted = true
      case .selector(let sel): accepted = sel.matches(nsLabels[own] ?? ["kubernetes.io/metadata.name": own])
      }
      if !accepted { return nil }
    }
    let wanted = service == nil ? "workload" : "service"
    return type == wanted || type == "all" ? (name, namespace) : nil
  }

  /// `transport/authorization` of one TCP port (addressed to the Service `service`, else to the
  /// pod's IP).
  func outcome(_ src: Source, _ d: Int, _ port: Int, service: Int? = nil) -> String {
    let server = dataplane(d)
    var clientDP = MeshDataplane.none
    var clientNs: String? = nil
    var principal: String? = nil
    var ips: [IPAddress] = []
    switch src {
    case .pod(let s):
      clientDP = dataplane(s)
      clientNs = cluster.pods[s].namespace
      principal = "cluster.local/ns/\(cluster.pods[s].namespace)/sa/\(cluster.pods[s].serviceAccount)"
      ips = cluster.pods[s].ips
    case .address(let a):
      ips = [a]
    }
    if clientDP == .none && server == .none { return "none/not-applicable" }
    let inMesh = server != .none
    let mode: MutualTLSMode = inMesh ? serverMode(d, port) : .disable
    let via = exposing(d, port).filter { v in
      service.map {
        v.service.namespace == cluster.services[$0].namespace && v.service.name == cluster.services[$0].name
      }
        ?? true
    }
    var sendsMTLS = false
    var explicit = false
    switch clientDP {
    case .none: break
    case .ambient: sendsMTLS = inMesh && !(server == .sidecar && mode == .disable)
    case .sidecar:
      if let first = via.first, let ns = clientNs, let tls = clientTLS(ns, first) {
        explicit = true
        sendsMTLS = tls == .istioMutual
      } else {
        sendsMTLS = inMesh && mode != .disable
      }
    }
    _ = explicit
    let transport: String
    if sendsMTLS {
      transport = inMesh && mode != .disable ? "mtls" : "failed"
    } else {
      transport = inMesh && mode == .strict ? "rejected" : "plaintext"
    }
    if transport == "failed" || transport == "rejected" || !inMesh { return "\(transport)/not-applicable" }
    let mtls = transport == "mtls"
    let kinds = Set(via.map { MeshMembership.portProtocol($0.port) })
    let proto: MeshPortProtocol? = kinds.count == 1 ? kinds.first! : nil
    let pod = cluster.pods[d]
    let root = options.rootNamespace
    let selectorPolicies = cluster.authorizationPolicies.filter {
      $0.targetRefs.isEmpty && ($0.namespace == pod.namespace || $0.namespace == root)
        && ($0.selector.map { selects($0, pod) } ?? true)
    }
    var stages: [(String, [AuthorizationPolicy])] = []
    let waypoint = server == .ambient ? self.waypoint(d, service: service) : nil
    if server == .sidecar { stages.append(("sidecar", selectorPolicies)) }
    if server == .ambient {
      if let waypoint {
        // The waypoint enforces policies attached to its Gateway (in its namespace) and, for
        // traffic addressed to a Service, those attached to that Service.
        let svc = service.map { cluster.services[$0] }
        stages.append(
          (
            "waypoint",
            cluster.authorizationPolicies.filter { p in
              p.targetRefs.contains {
                ($0.kind == "Gateway" && $0.name == waypoint.name && p.namespace == waypoint.namespace)
                  || ($0.kind == "Service" && svc != nil && $0.name == svc!.name && p.namespace == svc!.namespace)
              }
            }
          ))
      }
      stages.append(("ztunnel", selectorPolicies))
    }
    var result = "allowed"
    for (place, policies) in stages {
      // Second reading: with a waypoint in the path, the destination ztunnel's peer is the waypoint
      // (HBONE, identity = the waypoint Gateway's service account in the waypoint's namespace).
      let viaWaypoint = place == "ztunnel" && waypoint != nil
      let r =
        viaWaypoint
        ? decide(
          place, policies, principal: "cluster.local/ns/\(waypoint!.namespace)/sa/\(waypoint!.name)",
          ns: waypoint!.namespace, ips: [],
          port: port, proto: proto)
        : decide(
          place, policies, principal: mtls ? principal : nil, ns: mtls ? clientNs : nil, ips: ips, port: port,
          proto: proto)
      if r == "denied" { return "\(transport)/denied" }
      if r == "depends-on-L7" { result = r }
    }
    return "\(transport)/\(result)"
  }

  func decide(
    _ place: String, _ policies: [AuthorizationPolicy], principal: String?, ns: String?, ips: [IPAddress], port: Int,
    proto: MeshPortProtocol?
  ) -> String {
    let ztunnel = place == "ztunnel"
    func hasL7(_ p: AuthorizationPolicy) -> Bool {
      (p.rules ?? []).contains { r in
        r.from.contains {
          $0.requestPrincipals != nil || $0.notRequestPrincipals != nil || $0.remoteIpBlocks != nil
            || $0.notRemoteIpBlocks != nil
        }
          || r.to.contains {
            $0.methods != nil || $0.paths != nil || $0.hosts != nil || $0.notMethods != nil || $0.notPaths != nil
              || $0.notHosts != nil
          }
          || r.when.contains {
            !["source.principal", "source.namespace", "source.ip", "destination.port"].contains($0.key)
          }
      }
    }
    // "y", "n", "m" for yes, no, maybe.
    func and(_ xs: [String]) -> String { xs.contains("n") ? "n" : xs.contains("m") ? "m" : "y" }
    func or(_ xs: [String]) -> String { xs.contains("y") ? "y" : xs.contains("m") ? "m" : "n" }
    func inBlocks(_ blocks: [String]) -> Bool {
      ips.contains { ip in
        blocks.contains { b in
          if let c = CIDR(b) { return c.range.contains(ip) }
          return IPAddress(b) == ip
        }
      }
    }
    func pat(_ list: [String], _ v: String?) -> String {
      guard let v else { return "n" }
      return list.contains { p in
        p == "*"
          ? !v.isEmpty
          : p.hasPrefix("*") ? v.hasSuffix(p.dropFirst()) : p.hasSuffix("*") ? v.hasPrefix(p.dropLast()) : p == v
      } ? "y" : "n"
    }
    func neg(_ list: [String], _ v: String?) -> String {
      guard v != nil else { return "n" }
      return pat(list, v) == "y" ? "n" : "y"
    }
    func match(_ p: AuthorizationPolicy, deny: Bool, ignoreL7: Bool) -> String {
      let l7 = ignoreL7 ? "y" : proto == .tcp ? (deny ? "y" : "n") : "m"
      return or(
        (p.rules ?? []).map { r in
          let from =
            r.from.isEmpty
            ? "y"
            : or(
              r.from.map { s in
                var xs: [String] = []
                if let l = s.principals { xs.append(pat(l, principal)) }
                if let l = s.notPrincipals { xs.append(neg(l, principal)) }
                if let l = s.namespaces { xs.append(pat(l, ns)) }
                if let l = s.notNamespaces { xs.append(neg(l, ns)) }
                // Service accounts and trust domains read straight off the SPIFFE-style principal
                // `<trust domain>/ns/<namespace>/sa/<name>`.
                let parts = principal.map { $0.split(separator: "/").map(String.init) }
                let account = parts.flatMap { $0.count == 5 ? "\($0[2])/\($0[4])" : nil }
                let domain = parts?.first
                if let l = s.serviceAccounts { xs.append(account.map { l.contains($0) ? "y" : "n" } ?? "n") }
                if let l = s.notServiceAccounts { xs.append(account.map { l.contains($0) ? "n" : "y" } ?? "n") }
                if let l = s.trustDomains { xs.append(pat(l, domain)) }
                if let l = s.notTrustDomains { xs.append(neg(l, domain)) }
                if let l = s.ipBlocks { xs.append(inBlocks(l) ? "y" : "n") }
                if let l = s.notIpBlocks { xs.append(inBlocks(l) ? "n" : "y") }
                if s.requestPrincipals != nil || s.notRequestPrincipals != nil || s.remoteIpBlocks != nil
                  || s.notRemoteIpBlocks != nil
                {
                  xs.append(l7)
                }
                return and(xs)
              })
          let to =
            r.to.isEmpty
            ? "y"
            : or(
              r.to.map { o in
                var xs: [String] = []
                if let l = o.ports { xs.append(l.contains(String(port)) ? "y" : "n") }
                if let l = o.notPorts { xs.append(l.contains(String(port)) ? "n" : "y") }
                if o.methods != nil || o.paths != nil || o.hosts != nil || o.notMethods != nil || o.notPaths != nil
                  || o.notHosts != nil
                {
                  xs.append(l7)
                }
                return and(xs)
              })
          let when = and(
            r.when.map { c in
              switch c.key {
              case "source.principal", "source.namespace":
                let v = c.key == "source.principal" ? principal : ns
                guard let v else { return "n" }
                if let vs = c.values, pat(vs, v) == "n" { return "n" }
                if let nv = c.notValues, pat(nv, v) == "y" { return "n" }
                return "y"
              case "destination.port":
                if let vs = c.values, !vs.contains(String(port)) { return "n" }
                if let nv = c.notValues, nv.contains(String(port)) { return "n" }
                return "y"
              case "source.ip":
                var xs: [String] = []
                if let vs = c.values { xs.append(inBlocks(vs) ? "y" : "n") }
                if let nv = c.notValues { xs.append(inBlocks(nv) ? "n" : "y") }
                return and(xs)
              default:
                return l7
              }
            })
          return and([from, to, when])
        })
    }
    var denyMaybe = false
    for p in policies where p.action == .deny || (ztunnel && p.action == .allow && hasL7(p)) {
      let m = match(p, deny: true, ignoreL7: ztunnel)
      if p.action == .allow && m != "n" { return "denied" }
      if m == "y" { return "denied" }
      if m == "m" { denyMaybe = true }
    }
    let allows = policies.filter { $0.action == .allow && !(ztunnel && hasL7($0)) }
    if denyMaybe { return "depends-on-L7" }
    if allows.isEmpty { return "allowed" }
    let ms = allows.map { match($0, deny: false, ignoreL7: false) }
    if ms.contains("y") { return "allowed" }
    if ms.contains("m") { return "depends-on-L7" }
    return "denied"
  }
}
