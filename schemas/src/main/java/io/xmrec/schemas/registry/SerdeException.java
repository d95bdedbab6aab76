package io.xmrec.schemas.registry;

/**
 * A record could not be encoded or decoded. {@link #kind()} names the failure for dead letters:
 * {@code bad-bytes} (not Confluent wire format), {@code unknown-schema} (the id is not in the
 * registry), {@code registry} (the registry failed), {@code decode} (Avro could not read it with
 * the writer schema), {@code incompatible} (the writer schema cannot be read as the wanted type).
 */
public class SerdeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String kind;

    public SerdeException(String kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
