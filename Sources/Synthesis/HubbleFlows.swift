import KubeModel

/// Writes Hubble flow exports (`hubble observe -o json` lines) for a cluster: a seeded set of
/// service-to-service edges (mostly within a namespace, some across, some to external
/// addresses) on the destinations' declared ports, sampled line by line, with replies and
/// ICMP as Hubble prints them. For benchmarks and the `synth --flows` command.
public struct HubbleFlowSynthesizer {
  struct Edge {
    var source: Int
    var destination: Int?
    var external: String
    var port: Int
    var proto: String
  }

  let cluster: Cluster
  var rng: SplitMix64
  let edges: [Edge]
  let podsOfWorkload: [[Int]]
  let podIP: [String]
  var second = 0

  public init(cluster: Cluster, seed: UInt64) {
    self.cluster = cluster
    var rng = SplitMix64(seed: seed ^ 0x6875_6262_6c65)
    var of = Array(repeating: [Int](), count: cluster.workloads.count)
    for (i, pod) in cluster.pods.enumerated() where of.indices.contains(pod.workload) { of[pod.workload].append(i) }
    podsOfWorkload = of
    podIP = cluster.pods.indices.map { i in
      cluster.pods[i].ips.first?.description ?? "10.\(128 + i >> 16 & 127).\(i >> 8 & 255).\(i & 255)"
    }
    var byNamespace: [String: [Int]] = [:]
    for (w, wl) in cluster.workloads.enumerated() where !of[w].isEmpty {
      byNamespace[wl.namespace, default: []].append(w)
    }
    let all = cluster.workloads.indices.filter { !of[$0].isEmpty }
    var edges: [Edge] = []
    for w in all {
      let local = byNamespace[cluster.workloads[w].namespace] ?? []
      for _ in 0..<rng.inRange(1...3) {
        if rng.chance(0.05) {
          edges.append(
            Edge(source: w, destination: nil, external: "203.0.113.\(rng.inRange(1...254))", port: 443, proto: "TCP"))
          continue
        }
        let d = rng.chance(0.8) && local.count > 1 ? rng.pick(local) : rng.pick(all)
        if d == w { continue }
        let port = cluster.pods[of[d][0]].ports.first
        edges.append(
          Edge(
            source: w, destination: d, external: "", port: port?.port ?? 8080, proto: port?.protocol.rawValue ?? "TCP"))
      }
    }
    self.edges = edges
    self.rng = rng
  }

  /// The next line (without newline).
  public mutating func nextLine() -> String {
    let e = edges[rng.below(edges.count)]
    second += 1
    let time =
      "2026-11-30T\(String(format2: second / 3600 % 24)):\(String(format2: second / 60 % 60)):\(String(format2: second % 60)).\(rng.inRange(100_000...999_999))000Z"
    let s = podsOfWorkload[e.source][rng.below(podsOfWorkload[e.source].count)]
    let sourceJSON = endpoint(s, labelsOnly: rng.chance(0.2))
    let srcIP = podIP[s]
    var dstJSON: String
    var dstIP: String
    if let d = e.destination {
      let p = podsOfWorkload[d][rng.below(podsOfWorkload[d].count)]
      dstJSON = endpoint(p, labelsOnly: rng.chance(0.2))
      dstIP = podIP[p]
    } else {
      dstJSON = #"{"ID":0,"identity":2,"labels":["reserved:world"]}"#
      dstIP = e.external
    }
    let roll = rng.below(100)
    let reply = roll < 25
    let icmp = roll >= 98
    let sport = rng.inRange(32768...60999)
    var l4 = #"{"\#(e.proto)":{"source_port":\#(sport),"destination_port":\#(e.port),"flags":{"SYN":true}}}"#
    var srcE = sourceJSON
    var (a, b) = (srcIP, dstIP)
    if reply {
      l4 = #"{"\#(e.proto)":{"source_port":\#(e.port),"destination_port":\#(sport),"flags":{"SYN":true,"ACK":true}}}"#
      swap(&srcE, &dstJSON)
      swap(&a, &b)
    }
    if icmp { l4 = #"{"ICMPv4":{"type":8}}"# }
    let names = e.destination == nil && !reply ? #","destination_names":["api.partner.example"]"# : ""
    let flow =
      #"{"time":"\#(time)","uuid":"\#(rng.next())","verdict":"FORWARDED","ethernet":{"source":"5a:1b:2c:3d:4e:5f","destination":"6a:7b:8c:9d:0e:1f"},"IP":{"source":"\#(a)","destination":"\#(b)","ipVersion":"IPv4"},"l4":\#(l4),"source":\#(srcE),"destination":\#(dstJSON),"Type":"L3_L4","node_name":"node-\#(s % 50)","event_type":{"type":4},"traffic_direction":"\#(reply ? "INGRESS" : "EGRESS")","trace_observation_point":"TO_STACK","is_reply":\#(reply),"interface":{"index":\#(s % 200),"name":"lxc\#(s % 9000)"},"Summary":"\#(icmp ? "ICMPv4 EchoRequest" : "TCP Flags: SYN")"\#(names)}"#
    return #"{"flow":\#(flow),"node_name":"node-\#(s % 50)","time":"\#(time)"}"#
  }

  func endpoint(_ p: Int, labelsOnly: Bool) -> String {
    let pod = cluster.pods[p]
    let w = cluster.workloads[pod.workload]
    let labels =
      (pod.labels.keys.sorted().map { #""k8s:\#($0)=\#(pod.labels[$0]!)""# } + [
        #""k8s:io.kubernetes.pod.namespace=\#(pod.namespace)""#,
        #""k8s:io.cilium.k8s.policy.serviceaccount=\#(pod.serviceAccount)""#,
      ]).joined(separator: ",")
    let workloads = labelsOnly ? "" : #","workloads":[{"name":"\#(w.name)","kind":"\#(w.kind.rawValue)"}]"#
    return
      #"{"ID":\#(1000 + p),"identity":\#(20000 + pod.workload),"namespace":"\#(pod.namespace)","labels":[\#(labels)],"pod_name":"\#(pod.name)"\#(workloads)}"#
  }
}

extension String {
  /// Two digits, zero-padded.
  init(format2 n: Int) { self = n < 10 ? "0\(n)" : "\(n)" }
}
