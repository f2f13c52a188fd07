#if canImport(Glibc)
import Glibc
#endif

/// How `sluice serve` asks glibc's allocator to keep the memory of large answers (issue 20).
///
/// glibc allocates blocks from 128 KiB up with `mmap` (a limit it raises as large blocks are freed) and gives a heap's
/// free top back to the kernel past a trim threshold. A list of 200 destinations is a 1.5 MB answer built in one
/// buffer and copied into another: with glibc's defaults each request's buffers came from pages the kernel had just
/// taken back, and faulting them in again was a fifth of that request's CPU (`perf`: `asm_exc_page_fault`). With
/// blocks under 4 MiB taken from the heaps and up to 16 MiB of a heap's free top kept, the next request reuses them.
///
/// Not applied when `GLIBC_TUNABLES` sets any `glibc.malloc.` tunable: an operator's own choice stands.
enum AllocatorTuning {
    /// Blocks smaller than this come from the heaps, not from `mmap` of their own.
    static let mmapThreshold: Int32 = 4 << 20
    /// A heap's free top is given back to the kernel only past this.
    static let trimThreshold: Int32 = 16 << 20

    /// Sets both thresholds unless `environment` sets the allocator's tunables itself; whether they were set (always
    /// `false` where the C library is not glibc).
    @discardableResult
    static func apply(environment: [String: String]) -> Bool {
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("glibc.malloc.") { return false }
        #if canImport(Glibc)
        // `mallopt` is in <malloc.h>, which Swift's Glibc module does not export: found by name, called as C.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(Self.mTrimThreshold, trimThreshold) == 1 && mallopt(Self.mMmapThreshold, mmapThreshold) == 1
        #else
        return false
        #endif
    }

    // <malloc.h>'s parameter numbers.
    private static let mTrimThreshold: Int32 = -1
    private static let mMmapThreshold: Int32 = -3
}
