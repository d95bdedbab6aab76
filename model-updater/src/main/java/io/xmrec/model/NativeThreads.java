package io.xmrec.model;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The thread count of ND4J's native code. On 2 cores DL4J trains these small networks 3-4x
 * faster with one OpenMP thread than with OpenMP's default, so 1 is the default; set
 * {@code XMREC_THREADS} (or {@code --threads}) to change it.
 */
public final class NativeThreads {

    public static final String ENV = "XMREC_THREADS";
    public static final int DEFAULT = 1;

    private NativeThreads() {
    }

    /** The configured count: {@code XMREC_THREADS}, else {@code OMP_NUM_THREADS}, else 1. */
    public static int configured() {
        for (String var : new String[] {ENV, "OMP_NUM_THREADS"}) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) {
                try {
                    int n = Integer.parseInt(v.trim());
                    if (n >= 1) {
                        return n;
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(var + "=" + v + " is not a positive whole number");
                }
            }
        }
        return DEFAULT;
    }

    /** Applies a thread count to OpenMP and BLAS. */
    public static void apply(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        Nd4j.getBackend(); // loads the native backend, which NativeOpsHolder needs first
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
