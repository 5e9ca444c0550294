import Formats
import Foundation
import Manifests
import Synthesis
import Testing

@testable import KubereachCLI

/// Outputs are streamed: renderers pass their bytes on in chunks of about 64 KiB, and standard
/// output and `--output-file` write them as they come, never holding the whole output.
@Suite struct StreamingOutputTests {
  /// Records every chunk it is given.
  final class RecordingSink: OutputSink {
    var chunks: [Int] = []
    var bytes: [UInt8] = []
    func write(_ bytes: UnsafeRawBufferPointer) {
      chunks.append(bytes.count)
      self.bytes.append(contentsOf: bytes)
    }
  }

  /// A 3,000-pod synthetic cluster, a copy with half its policies, and a 150-pod cluster (whose
  /// explanation is 2 MB), as manifest files.
  static let inputs: (before: String, after: String, small: String) = {
    var cluster = SyntheticCluster.generate(pods: 3000, namespaces: 100, policies: 300, seed: 7)
    let before = try! ExitCodeTests.write(ManifestWriter.yaml(for: cluster), name: "before.yaml")
    cluster.networkPolicies.removeLast(150)
    let after = try! ExitCodeTests.write(ManifestWriter.yaml(for: cluster), name: "after.yaml")
    let small = SyntheticCluster.generate(pods: 150, namespaces: 5, policies: 15, seed: 7)
    return (before, after, try! ExitCodeTests.write(ManifestWriter.yaml(for: small), name: "small.yaml"))
  }()

  static let commands: [[String]] = {
    let (before, after, small) = inputs
    var list = ["txt", "json", "csv", "md", "dot"].map { ["analyze", before, "-o", $0] }
    list.append(["analyze", before, "-o", "json", "--exposure"])
    list.append(["analyze", before, "--exposure"])
    list.append(["analyze", small, "--explain"])
    list.append(["analyze", small, "--explain", "--exposure"])
    list += ["txt", "json", "csv", "md", "dot"].map { ["diff", before, after, "-o", $0] }
    return list
  }()

  @Test(arguments: commands) func outputReachesTheSinkInChunks(_ arguments: [String]) {
    let collected = CommandIO()
    #expect(Kubereach.run(arguments: arguments, io: collected) == 0)
    let sink = RecordingSink()
    let streamed = CommandIO(output: sink)
    #expect(Kubereach.run(arguments: arguments, io: streamed) == 0)
    #expect(sink.bytes == collected.standardOutput, "\(arguments)")
    let total = sink.bytes.count
    // Big enough to need several chunks, and no chunk much over 64 KiB (one row may cross it).
    #expect(total > 3 * ByteWriterLimit.chunk, "\(arguments): \(total) bytes")
    #expect(sink.chunks.count > total / (2 * ByteWriterLimit.chunk), "\(arguments): \(sink.chunks.count) chunks")
    #expect(sink.chunks.max()! < ByteWriterLimit.chunk + 16 << 10, "\(arguments): \(sink.chunks.max()!) bytes in one")
  }

  @Test func aDescriptorSinkWritesEveryByteThroughASmallBuffer() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-sink-\(UUID().uuidString)").path
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    #expect(descriptor >= 0)
    defer { unlink(path) }
    let sink = DescriptorSink(descriptor)
    var expected: [UInt8] = []
    for i in 0..<20_000 {
      let piece = "line \(i)\n"
      sink.write(piece)
      expected.append(contentsOf: piece.utf8)
      if i == 10_000 {
        // Writes above the buffer size go straight through, in order.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
        sink.write(big)
        expected += big
      }
    }
    #expect(sink.flush() == .written)
    close(descriptor)
    #expect(FileManager.default.contents(atPath: path).map(Array.init) == expected)
  }

  @Test func aDescriptorSinkKeepsTheFirstFailure() throws {
    let full = open("/dev/full", O_WRONLY)
    #expect(full >= 0)
    defer { close(full) }
    let sink = DescriptorSink(full)
    sink.write([UInt8](repeating: 0, count: 100_000))
    sink.write("more")
    #expect(sink.flush() == .failed(ENOSPC))
  }

  @Test func aFailedRenderLeavesThePreviousFileAsItWas() throws {
    let path = try ExitCodeTests.write("previous\n", name: "out.txt")
    #expect(throws: CommandFailure.self) {
      try OutputWriter.writeFile(to: path) { sink throws(CommandFailure) in
        sink.write([UInt8](repeating: UInt8(ascii: "y"), count: 300_000))
        throw .usage("stopped half way")
      }
    }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous\n")
    let folder = (path as NSString).deletingLastPathComponent
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.txt"])
  }
}

/// The renderers' chunk size, as the tests read it.
enum ByteWriterLimit {
  static let chunk = 64 << 10
}
