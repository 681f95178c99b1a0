import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../../functions/data/table-schema.js';

export interface DataTableProps {
  /**
   * What happens to the table when the stack is deleted. The contact base is the
   * tenant's data: it outlives the stack unless someone deletes it by hand.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A table made outside the stack to use instead of its own: a point-in-time
   * restore being switched to (README, Operations, "Restore a tenant's table").
   * It must have TABLE_DEFINITION's keys and indexes (a restore keeps them)
   * and a NEW_AND_OLD_IMAGES stream. The stack's own table then leaves the
   * stack and, retained, stays in the account.
   * @default - the stack creates its table
   */
  readonly existing?: { readonly tableName: string; readonly tableStreamArn: string };
}

/**
 * The tenant's single table, built from the same TABLE_DEFINITION the
 * repositories and the local DynamoDB setup use: string pk/sk, every index
 * projecting ALL attributes, a TTL attribute, and the NEW_AND_OLD_IMAGES
 * stream the stream processor reads.
 */
export class DataTable extends Construct {
  public readonly table: ITable;

  constructor(scope: Construct, id: string, props: DataTableProps = {}) {
    super(scope, id);

    if (props.existing) {
      // Grants cover the indexes too: every access pattern but the profile reads one.
      this.table = Table.fromTableAttributes(this, 'Table', { ...props.existing, grantIndexPermissions: true });
      return;
    }
    const table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DEFINITION.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DEFINITION.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType[TABLE_DEFINITION.streamViewType],
      timeToLiveAttribute: TABLE_DEFINITION.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // The AWS managed key (aws/dynamodb): encrypted at rest with key usage in
      // CloudTrail, and no key policy to maintain per tenant.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    for (const index of TABLE_DEFINITION.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    this.table = table;
  }
}
