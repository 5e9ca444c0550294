import Analysis

/// The wording shared by every diff format.
enum DiffRendering {
  /// netpol-analyzer's `workloads-diff-info`: `workload ns/a[Deployment] added`, `workload X
  /// and Y removed`, or empty when both ends exist in both versions.
  static func workloadInfo(_ row: DiffRow) -> String {
    switch row.workloadInfo {
    case .inBoth: return ""
    case .added(let peers): return "workload \(peers.map(\.name).joined(separator: " and ")) added"
    case .removed(let peers): return "workload \(peers.map(\.name).joined(separator: " and ")) removed"
    }
  }
}
