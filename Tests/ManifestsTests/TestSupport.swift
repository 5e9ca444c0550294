import Foundation
import KubeModel
import Manifests
import Testing

/// Loads YAML text and fails the test on any error diagnostic.
func loadClean(
  _ yaml: String, file: String = "test.yaml",
  sourceLocation: Testing.SourceLocation = #_sourceLocation
)
  -> LoadResult
{
  let result = ManifestLoader.load(yaml: yaml, file: file)
  let errors = result.diagnostics.filter { $0.severity == .error }
  #expect(
    errors.isEmpty, "unexpected errors: \(errors.map(\.description))",
    sourceLocation: sourceLocation)
  return result
}

/// The error diagnostics of loading YAML text.
func loadErrors(_ yaml: String, file: String = "bad.yaml") -> [Diagnostic] {
  ManifestLoader.load(yaml: yaml, file: file).diagnostics.filter { $0.severity == .error }
}

private let blank = KubeModel.SourceLocation.synthetic("")

/// A cluster's contents with every location blanked, for comparisons that ignore where things came
/// from.
struct ClusterContents: Equatable {
  var namespaces: [Namespace]
  var workloads: [Workload]
  var pods: [Pod]
  var services: [Service]
  var ingresses: [IngressRoute]
  var networkPolicies: [NetworkPolicy]
  var adminNetworkPolicies: [AdminNetworkPolicy]
  var baselineAdminNetworkPolicies: [AdminNetworkPolicy]
  var peerAuthentications: [PeerAuthentication]
  var destinationRules: [DestinationRule]
  var authorizationPolicies: [AuthorizationPolicy]

  init(_ c: Cluster) {
    namespaces = c.namespaces.map {
      var x = $0
      x.location = blank
      return x
    }
    workloads = c.workloads.map {
      var x = $0
      x.location = blank
      return x
    }
    pods = c.pods.map {
      var x = $0
      x.location = blank
      return x
    }
    services = c.services.map {
      var x = $0
      x.location = blank
      return x
    }
    ingresses = c.ingresses.map {
      var x = $0
      x.location = blank
      return x
    }
    networkPolicies = c.networkPolicies.map { np in
      var x = np
      x.location = blank
      x.ingress = x.ingress.map {
        var r = $0
        r.location = blank
        return r
      }
      x.egress = x.egress.map {
        var r = $0
        r.location = blank
        return r
      }
      return x
    }
    let admin = { (p: AdminNetworkPolicy) -> AdminNetworkPolicy in
      var x = p
      x.location = blank
      x.ingress = x.ingress.map {
        var r = $0
        r.location = blank
        return r
      }
      x.egress = x.egress.map {
        var r = $0
        r.location = blank
        return r
      }
      return x
    }
    adminNetworkPolicies = c.adminNetworkPolicies.map(admin)
    baselineAdminNetworkPolicies = c.baselineAdminNetworkPolicies.map(admin)
    peerAuthentications = c.peerAuthentications.map {
      var x = $0
      x.location = blank
      return x
    }
    destinationRules = c.destinationRules.map {
      var x = $0
      x.location = blank
      return x
    }
    authorizationPolicies = c.authorizationPolicies.map {
      var x = $0
      x.location = blank
      return x
    }
  }
}

/// Scratch files for tests.
enum FileManagerHelper {
  static func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "manifests-tests-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static func write(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }
}
