import KubeModel

/// Realistic synthetic clusters for benchmarks and `kubereach synth`: namespaces owned by
/// teams, Deployments (1–5 replicas) and StatefulSets labelled `app`/`tier`/`team`/`version`,
/// Services, a default-deny per namespace and allow rules with pod and namespace selectors,
/// named ports and ipBlocks.
public enum SyntheticCluster {
  static let apps = [
    "web", "api", "db", "cache", "worker", "frontend", "backend", "queue", "auth", "search",
  ]
  static let tiers = ["frontend", "backend", "data"]
  static let envs = ["prod", "staging", "dev"]

  /// A cluster of about `pods` pods in `namespaces` namespaces with about `policies`
  /// NetworkPolicies, the same for the same arguments. With `onePodPerWorkload`, every
  /// workload has one replica (handy to compare with tools that report pods). With
  /// `adminPolicies`, also that many AdminNetworkPolicies (a monitoring allowance, a Pass for
  /// team namespaces, a deny toward data tiers, ...) and a BaselineAdminNetworkPolicy.
  public static func generate(
    pods: Int, namespaces: Int, policies: Int, seed: UInt64, onePodPerWorkload: Bool = false,
    adminPolicies: Int = 0
  ) -> Cluster {
    var rng = SplitMix64(seed: seed)
    var cluster = Cluster()
    let nsCount = max(1, namespaces)
    let teams = max(1, nsCount / 5)
    var nsWorkloads: [[Int]] = Array(repeating: [], count: nsCount)
    for i in 0..<nsCount {
      let loc = SourceLocation.synthetic("namespaces.yaml")
      cluster.namespaces.append(
        Namespace(
          name: "ns-\(i)", labels: ["team": "team-\(i % teams)", "env": envs[i % envs.count]],
          location: loc))
    }
    var ipCounter: UInt128 = 0x0A00_0001
    var podIndex = 0
    var w = 0
    while podIndex < pods {
      let ns = w % nsCount
      let nsName = "ns-\(ns)"
      let app =
        apps[(w / nsCount) % apps.count]
        + ((w / nsCount) >= apps.count ? "-\(w / nsCount / apps.count)" : "")
      let stateful = rng.chance(0.2)
      let replicas = onePodPerWorkload ? 1 : (stateful ? rng.inRange(1...3) : rng.inRange(1...5))
      let tier = tiers[(w / nsCount) % tiers.count]
      let labels = [
        "app": app, "tier": tier, "team": "team-\(ns % teams)",
        "version": rng.chance(0.8) ? "v1" : "v2",
      ]
      let loc = SourceLocation.synthetic("\(nsName)/\(app).yaml")
      let kind: WorkloadKind = stateful ? .statefulSet : .deployment
      cluster.workloads.append(
        Workload(namespace: nsName, name: app, kind: kind, podLabels: labels, location: loc))
      nsWorkloads[ns].append(w)
      let httpPort = tier == "data" ? 5432 : (rng.chance(0.5) ? 8080 : 80)
      let ports = [
        ContainerPort(name: tier == "data" ? "db" : "http", port: httpPort),
        ContainerPort(name: "metrics", port: 9090),
      ]
      for r in 0..<replicas where podIndex < pods {
        let name = stateful ? "\(app)-\(r)" : "\(app)-p\(String(w, radix: 36))-\(r)"
        cluster.pods.append(
          Pod(
            namespace: nsName, name: name, labels: labels, ports: ports,
            ips: [IPAddress(family: .v4, value: ipCounter)], workload: w, location: loc))
        ipCounter += 1
        podIndex += 1
      }
      if rng.chance(0.7) {
        cluster.services.append(
          Service(
            namespace: nsName, name: app, selector: ["app": app],
            ports: [ServicePort(name: "http", port: 80, targetPort: .number(httpPort))],
            location: loc))
      }
      w += 1
    }
    // Policies: a default-deny per namespace first, then allow rules for workloads.
    var made = 0
    var ns = 0
    while made < policies && ns < nsCount {
      let loc = SourceLocation.synthetic("ns-\(ns)/netpols.yaml")
      let egress = rng.chance(0.3)
      cluster.networkPolicies.append(
        NetworkPolicy(
          namespace: "ns-\(ns)", name: "default-deny", isolatesIngress: true,
          isolatesEgress: egress,
          location: loc))
      made += 1
      if egress && made < policies {
        cluster.networkPolicies.append(
          NetworkPolicy(
            namespace: "ns-\(ns)", name: "allow-dns",
            egress: [
              NetworkPolicyRule(
                peers: [
                  .selector(
                    pods: nil, namespaces: LabelSelector(matchLabels: [namespaceNameLabel: "ns-0"]))
                ],
                ports: [
                  NetworkPolicyPort(protocol: .udp, port: .number(53)),
                  NetworkPolicyPort(port: .number(53)),
                ],
                location: loc),
              NetworkPolicyRule(
                peers: [.selector(pods: .everything, namespaces: nil)], location: loc),
            ],
            isolatesIngress: false, isolatesEgress: true, location: loc))
        made += 1
      }
      ns += 1
    }
    var k = 0
    while made < policies && !cluster.workloads.isEmpty {
      let target = cluster.workloads[rng.below(cluster.workloads.count)]
      let nsIdx = Int(target.namespace.dropFirst(3)) ?? 0
      let loc = SourceLocation.synthetic("\(target.namespace)/netpols.yaml")
      let app = target.podLabels["app"] ?? ""
      let peerWorkloads = nsWorkloads[nsIdx]
      let from = cluster.workloads[peerWorkloads[rng.below(peerWorkloads.count)]]
      let portName = target.podLabels["tier"] == "data" ? "db" : "http"
      var rules: [NetworkPolicyRule] = []
      switch rng.below(5) {
      case 0, 1:
        rules.append(
          NetworkPolicyRule(
            peers: [
              .selector(
                pods: LabelSelector(matchLabels: ["app": from.podLabels["app"] ?? ""]),
                namespaces: nil)
            ],
            ports: [NetworkPolicyPort(port: .name(portName))], location: loc))
      case 2:
        rules.append(
          NetworkPolicyRule(
            peers: [
              .selector(
                pods: LabelSelector(matchLabels: ["tier": "frontend"]),
                namespaces: LabelSelector(matchLabels: ["team": target.podLabels["team"] ?? ""]))
            ],
            ports: [
              NetworkPolicyPort(port: .name(portName)), NetworkPolicyPort(port: .number(9090)),
            ], location: loc))
      case 3:
        rules.append(
          NetworkPolicyRule(
            peers: [
              .selector(
                pods: LabelSelector(matchExpressions: [
                  LabelRequirement(key: "tier", operator: .in, values: ["frontend", "backend"])
                ]),
                namespaces: LabelSelector(matchLabels: ["env": envs[rng.below(envs.count)]]))
            ],
            ports: [NetworkPolicyPort(port: .number(8000), endPort: 8100)], location: loc))
      default:
        if let cidr = CIDR("10.0.0.0/8"), let ex = CIDR("10.\(rng.below(4)).0.0/16") {
          rules.append(
            NetworkPolicyRule(
              peers: [.ipBlock(IPBlock(cidr: cidr, except: [ex]))],
              ports: [NetworkPolicyPort(port: .number(443))],
              location: loc))
        }
      }
      cluster.networkPolicies.append(
        NetworkPolicy(
          namespace: target.namespace, name: "allow-\(app)-\(k)",
          podSelector: LabelSelector(matchLabels: ["app": app]), ingress: rules, location: loc))
      made += 1
      k += 1
    }
    addAdminPolicies(to: &cluster, count: adminPolicies, teams: teams, rng: &rng)
    return cluster
  }

  static func addAdminPolicies(
    to cluster: inout Cluster, count: Int, teams: Int, rng: inout SplitMix64
  ) {
    guard count > 0 else { return }
    let loc = SourceLocation.synthetic("admin-policies.yaml")
    let monitoring = AdminPolicyPeer.pods(
      .namespaces(LabelSelector(matchLabels: [namespaceNameLabel: "ns-0"])))
    for i in 0..<count {
      let team = LabelSelector(matchLabels: ["team": "team-\(rng.below(teams))"])
      let rule: AdminPolicyRule
      switch i % 4 {
      case 0:
        rule = AdminPolicyRule(
          name: "allow-monitoring", action: .allow, peers: [monitoring], ports: [.named("metrics")],
          location: loc)
      case 1:
        rule = AdminPolicyRule(
          name: "pass-team", action: .pass, peers: [.pods(.namespaces(team))], location: loc)
      case 2:
        rule = AdminPolicyRule(
          name: "deny-dev-to-data", action: .deny,
          peers: [.pods(.namespaces(LabelSelector(matchLabels: ["env": "dev"])))],
          ports: [.range(.tcp, 5000, 5999)], location: loc)
      default:
        rule = AdminPolicyRule(
          name: "allow-frontends", action: .allow,
          peers: [
            .pods(
              .pods(namespaces: .everything, pods: LabelSelector(matchLabels: ["tier": "frontend"]))
            )
          ],
          ports: [.number(.tcp, 80), .number(.tcp, 8080)], location: loc)
      }
      let subject: AdminPodSet =
        switch i % 4 {
        case 0: .namespaces(.everything)
        case 2: .pods(namespaces: .everything, pods: LabelSelector(matchLabels: ["tier": "data"]))
        default: .namespaces(team)
        }
      cluster.adminNetworkPolicies.append(
        AdminNetworkPolicy(
          name: "anp-\(i)", priority: 10 + i, subject: subject, ingress: [rule], location: loc))
    }
    cluster.baselineAdminNetworkPolicies.append(
      AdminNetworkPolicy(
        name: "default", isBaseline: true, subject: .namespaces(.everything),
        ingress: [
          AdminPolicyRule(
            name: "deny-from-dev", action: .deny,
            peers: [.pods(.namespaces(LabelSelector(matchLabels: ["env": "dev"])))],
            location: loc)
        ],
        egress: [
          AdminPolicyRule(
            name: "deny-metadata", action: .deny,
            peers: [.networks([CIDR("169.254.169.254/32")].compactMap { $0 })],
            location: loc)
        ], location: loc))
  }
}
