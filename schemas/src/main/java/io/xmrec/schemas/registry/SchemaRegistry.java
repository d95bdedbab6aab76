package io.xmrec.schemas.registry;

import org.apache.avro.Schema;

/**
 * What the serde needs of a Confluent-API schema registry: register a subject's schema, and look a
 * schema up by id. {@link RegistryClient} talks to a real registry over HTTP;
 * {@link InMemorySchemaRegistry} keeps schemas in memory for topology tests (as the Confluent
 * examples use a mock registry).
 */
public interface SchemaRegistry {

    /** Where the registry is, for messages. */
    String url();

    /** Registers (or finds) a schema under a subject; returns its id. */
    int register(String subject, Schema schema);

    /** The schema with an id; a {@link RegistryException} with status 404 when there is none. */
    Schema schemaById(int id);
}
