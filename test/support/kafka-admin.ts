/** Runs `fn` with a connected kafkajs admin client, always disconnecting it. */
import type { Admin, Kafka } from 'kafkajs';

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}
