package io.xmrec.schemas.registry;

/**
 * A schema registry call failed. {@link #status()} is the HTTP status (0 when the registry could
 * not be reached) and {@link #errorCode()} the registry's error code (e.g. 40403 schema not found,
 * 409 incompatible schema), so callers can tell the cases apart.
 */
public class RegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    public RegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The registry answered that the schema is not compatible with the subject's latest version. */
    public boolean incompatible() {
        return status == 409;
    }

    /** The registry could not be reached at all. */
    public boolean unreachable() {
        return status == 0;
    }
}
