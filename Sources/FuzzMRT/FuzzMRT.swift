import MRT
import MRTFormat

/// One fuzz input: framing, decoding and every output format over arbitrary bytes.
/// Whatever the bytes, this must return: no trap, no hang, no unbounded allocation.
func runOneInput(_ bytes: UnsafeBufferPointer<UInt8>) {
    let sink = ByteSink(capacity: 1 << 12)
    let formatters: [any ElementFormatter] = [BGPDumpFormatter(), JSONFormatter(), PSVFormatter()]
    let reader = MRTReader(source: MemorySource(Array(bytes)), name: "fuzz")
    let stream = ElementStream(reader: reader)
    try? stream.forEach { e in
        for f in formatters { f.write(e, to: sink) }
        _ = e.attributes.path
        _ = e.attributes.communities
        _ = e.attributes.largeCommunities
        _ = e.attributes.extendedCommunities
        _ = e.attributes.unknown
        sink.removeAll()
    }
}

#if FUZZING
/// libFuzzer's driver, run from the executable's entry point (SwiftPM names it
/// `FuzzMRT_main`), so that libFuzzer's own `main` is not needed.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzMRT_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        if let data { runOneInput(UnsafeBufferPointer(start: data, count: size)) }
        return 0
    }
}
#else
/// Without libFuzzer: replay inputs given as files (crash reproducers, the corpus).
@main
struct Replay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else {
                print("FuzzMRT: cannot open \(path)")
                exit(1)
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = fread(&buffer, 1, buffer.count, f)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
            }
            fclose(f)
            bytes.withUnsafeBufferPointer { runOneInput($0) }
            count += 1
        }
        print("replayed \(count) inputs")
    }
}
#endif

#if canImport(Glibc)
import Glibc
#endif
