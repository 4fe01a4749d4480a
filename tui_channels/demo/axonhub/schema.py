"""The channel part of AxonHub's GraphQL schema, as SDL, in two generations (axonhub.md §3).

`CURRENT` follows a v0.9.38 server's introspection: `queryChannels`, `deleteChannel`, bulk
mutations, `fetchModels`, readable credentials with key lists, tags, remarks and a `type` in
`UpdateChannelInput`. `OLDER` follows v0.1.1: the ent connection only, no delete, no bulk
mutations, no model fetch, credentials that are never returned, and no `type` on update. Both keep
the trap fields the servers ignore (`status` in `UpdateChannelInput`, and in v0.1.1's
`CreateChannelInput`).
"""

from __future__ import annotations

_COMMON = """
scalar Time
scalar Cursor

interface Node { id: ID! }

enum ChannelStatus { enabled disabled archived }
enum OrderDirection { ASC DESC }
enum ChannelOrderField { CREATED_AT UPDATED_AT TYPE NAME STATUS ORDERING_WEIGHT }
input ChannelOrder { direction: OrderDirection! = ASC field: ChannelOrderField! }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: Cursor
  endCursor: Cursor
}
type ChannelEdge { node: Channel cursor: Cursor! }
type ChannelConnection { edges: [ChannelEdge] pageInfo: PageInfo! totalCount: Int! }

type ModelMapping { from: String! to: String! }
input ModelMappingInput { from: String! to: String! }
type GCPCredential { region: String! projectID: String! jsonData: String! }
input GCPCredentialInput { region: String! projectID: String! jsonData: String! }

input TestChannelInput { channelID: ID! modelID: String }
type TestChannelPayload { latency: Float! success: Boolean! message: String error: String }

type UserInfo { email: String! firstName: String! lastName: String! isOwner: Boolean! scopes: [String!]! }
"""

_WHERE = """
input ChannelWhereInput {
  not: ChannelWhereInput
  and: [ChannelWhereInput!]
  or: [ChannelWhereInput!]
  type: ChannelType
  typeIn: [ChannelType!]
  baseURLContains: String
  baseURLContainsFold: String
  name: String
  nameContains: String
  nameContainsFold: String
  status: ChannelStatus
  statusIn: [ChannelStatus!]
}
"""

_CURRENT_TYPES = """
enum ChannelType {
  openai openai_responses codex vercel anthropic anthropic_aws anthropic_gcp gemini_openai gemini
  gemini_vertex deepseek deepseek_anthropic deepinfra doubao doubao_anthropic moonshot
  moonshot_anthropic zhipu zai zhipu_anthropic zai_anthropic anthropic_fake openai_fake openrouter
  xai ppio siliconflow volcengine longcat longcat_anthropic minimax minimax_anthropic aihubmix
  burncloud modelscope bailian jina github github_copilot claudecode antigravity ollama
}
"""

_OLDER_TYPES = """
enum ChannelType {
  openai anthropic anthropic_aws anthropic_gcp gemini_openai deepseek deepseek_anthropic doubao
  moonshot moonshot_anthropic zhipu zai zhipu_anthropic zai_anthropic anthropic_fake openai_fake openrouter
}
"""

CURRENT = (
    _COMMON
    + _WHERE
    + _CURRENT_TYPES
    + """
enum ProxyType { DISABLED ENVIRONMENT URL }
enum CapabilityPolicy { unlimited require forbid }
type ProxyConfig { type: ProxyType! url: String username: String password: String }
input ProxyConfigInput { type: ProxyType! url: String username: String password: String }
type OverrideMatch { path: String! eq: String! }
input OverrideMatchInput { path: String! eq: String! }
type OverrideOperation {
  op: String! path: String from: String to: String value: String condition: String
  match: OverrideMatch index: Int splat: Boolean
}
input OverrideOperationInput {
  op: String! path: String from: String to: String value: String condition: String
  match: OverrideMatchInput index: Int splat: Boolean
}
type ChannelRateLimit { rpm: Int tpm: Int maxConcurrent: Int queueSize: Int queueTimeoutMs: Int }
input ChannelRateLimitInput { rpm: Int tpm: Int maxConcurrent: Int queueSize: Int queueTimeoutMs: Int }
type ChannelSettings {
  extraModelPrefix: String
  modelMappings: [ModelMapping!]
  autoTrimedModelPrefixes: [String!]
  hideOriginalModels: Boolean
  hideMappedModels: Boolean
  proxy: ProxyConfig
  headerOverrideOperations: [OverrideOperation!]!
  bodyOverrideOperations: [OverrideOperation!]!
  rateLimit: ChannelRateLimit
}
input ChannelSettingsInput {
  extraModelPrefix: String
  modelMappings: [ModelMappingInput!]
  autoTrimedModelPrefixes: [String!]
  hideOriginalModels: Boolean
  hideMappedModels: Boolean
  proxy: ProxyConfigInput
  headerOverrideOperations: [OverrideOperationInput!]
  bodyOverrideOperations: [OverrideOperationInput!]
  rateLimit: ChannelRateLimitInput
}
type ChannelPolicies { stream: CapabilityPolicy }
input ChannelPoliciesInput { stream: CapabilityPolicy }
type OAuthCredentials {
  accessToken: String refreshToken: String clientID: String expiresAt: Time tokenType: String scopes: [String!]
}
input OAuthCredentialsInput {
  accessToken: String refreshToken: String clientID: String expiresAt: Time tokenType: String scopes: [String!]
}
type ChannelCredentials { apiKey: String apiKeys: [String!] gcp: GCPCredential oauth: OAuthCredentials }
input ChannelCredentialsInput { apiKey: String apiKeys: [String!] gcp: GCPCredentialInput oauth: OAuthCredentialsInput }
type DisabledAPIKey { key: String! disabledAt: Time! errorCode: Int! reason: String }

type Channel implements Node {
  id: ID!
  createdAt: Time!
  updatedAt: Time!
  type: ChannelType!
  baseURL: String
  name: String!
  status: ChannelStatus!
  supportedModels: [String!]!
  manualModels: [String!]
  autoSyncSupportedModels: Boolean!
  autoSyncModelPattern: String
  tags: [String!]
  defaultTestModel: String!
  policies: ChannelPolicies
  settings: ChannelSettings
  orderingWeight: Int!
  errorMessage: String
  remark: String
  credentials: ChannelCredentials
  disabledAPIKeys: [DisabledAPIKey!]
}

input CreateChannelInput {
  type: ChannelType!
  baseURL: String
  name: String!
  credentials: ChannelCredentialsInput!
  supportedModels: [String!]!
  manualModels: [String!]
  autoSyncSupportedModels: Boolean
  autoSyncModelPattern: String
  tags: [String!]
  defaultTestModel: String!
  policies: ChannelPoliciesInput
  settings: ChannelSettingsInput
  orderingWeight: Int
  remark: String
}

input UpdateChannelInput {
  type: ChannelType
  baseURL: String
  clearBaseURL: Boolean
  name: String
  status: ChannelStatus
  credentials: ChannelCredentialsInput
  supportedModels: [String!]
  appendSupportedModels: [String!]
  manualModels: [String!]
  autoSyncSupportedModels: Boolean
  autoSyncModelPattern: String
  tags: [String!]
  appendTags: [String!]
  clearTags: Boolean
  defaultTestModel: String
  policies: ChannelPoliciesInput
  settings: ChannelSettingsInput
  clearSettings: Boolean
  orderingWeight: Int
  remark: String
  clearRemark: Boolean
}

input QueryChannelInput {
  after: Cursor first: Int before: Cursor last: Int
  orderBy: ChannelOrder where: ChannelWhereInput hasTag: String model: String
}
input FetchModelsInput { channelType: String! baseURL: String! apiKey: String channelID: ID }
type ModelIdentify { id: String! }
type FetchModelsPayload { models: [ModelIdentify!]! error: String }
type SystemVersion {
  version: String! commit: String! buildTime: String! goVersion: String! platform: String! uptime: String!
}

type Query {
  node(id: ID!): Node
  channels(
    after: Cursor, first: Int, before: Cursor, last: Int, orderBy: ChannelOrder, where: ChannelWhereInput
  ): ChannelConnection!
  queryChannels(input: QueryChannelInput!): ChannelConnection!
  allChannelTags: [String!]!
  fetchModels(input: FetchModelsInput!): FetchModelsPayload!
  systemVersion: SystemVersion!
  me: UserInfo!
}

type Mutation {
  createChannel(input: CreateChannelInput!): Channel!
  updateChannel(id: ID!, input: UpdateChannelInput!): Channel!
  updateChannelStatus(id: ID!, status: ChannelStatus!): Channel!
  deleteChannel(id: ID!): Boolean!
  bulkArchiveChannels(ids: [ID!]!): Boolean!
  bulkDisableChannels(ids: [ID!]!): Boolean!
  bulkEnableChannels(ids: [ID!]!): Boolean!
  bulkDeleteChannels(ids: [ID!]!): Boolean!
  testChannel(input: TestChannelInput!): TestChannelPayload!
}
"""
)

OLDER = (
    _COMMON
    + _WHERE
    + _OLDER_TYPES
    + """
type ChannelSettings { modelMappings: [ModelMapping!] }
input ChannelSettingsInput { modelMappings: [ModelMappingInput!] }
type AWSCredential { accessKeyID: String! secretAccessKey: String! region: String! }
input AWSCredentialInput { accessKeyID: String! secretAccessKey: String! region: String! }
input ChannelCredentialsInput { apiKey: String aws: AWSCredentialInput gcp: GCPCredentialInput }

type Channel implements Node {
  id: ID!
  createdAt: Time!
  updatedAt: Time!
  deletedAt: Int!
  type: ChannelType!
  baseURL: String
  name: String!
  status: ChannelStatus!
  supportedModels: [String!]!
  defaultTestModel: String!
  settings: ChannelSettings
  orderingWeight: Int!
}

input CreateChannelInput {
  createdAt: Time
  updatedAt: Time
  type: ChannelType!
  baseURL: String
  name: String!
  status: ChannelStatus
  credentials: ChannelCredentialsInput
  supportedModels: [String!]!
  defaultTestModel: String!
  settings: ChannelSettingsInput
  orderingWeight: Int
}

input UpdateChannelInput {
  updatedAt: Time
  baseURL: String
  clearBaseURL: Boolean
  name: String
  status: ChannelStatus
  credentials: ChannelCredentialsInput
  supportedModels: [String!]
  appendSupportedModels: [String!]
  defaultTestModel: String
  settings: ChannelSettingsInput
  clearSettings: Boolean
  orderingWeight: Int
}

type Query {
  node(id: ID!): Node
  channels(
    after: Cursor, first: Int, before: Cursor, last: Int, orderBy: ChannelOrder, where: ChannelWhereInput
  ): ChannelConnection!
  me: UserInfo!
}

type Mutation {
  createChannel(input: CreateChannelInput!): Channel!
  updateChannel(id: ID!, input: UpdateChannelInput!): Channel!
  updateChannelStatus(id: ID!, status: ChannelStatus!): Channel!
  testChannel(input: TestChannelInput!): TestChannelPayload!
}
"""
)
