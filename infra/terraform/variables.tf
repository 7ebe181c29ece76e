variable "bucket_name" {
  description = "Globally unique name of the documents bucket."
  type        = string
}

variable "region" {
  description = "AWS region of the bucket (BATON_S3_REGION)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before S3 removes it. Baton never overwrites a revision (each upload gets a fresh key), so old versions only come from cleanup after a failed upload or an operator's change."
  type        = number
  default     = 90
}

variable "noncurrent_versions_to_keep" {
  description = "Newest noncurrent versions kept even after noncurrent_version_days."
  type        = number
  default     = 3
}

variable "create_kms_key" {
  description = "Encrypt with a customer-managed KMS key (SSE-KMS) instead of S3-managed keys (SSE-S3). Set BATON_S3_KMS_KEY_ID to the kms_key_arn output when true."
  type        = bool
  default     = false
}

variable "allow_version_delete" {
  description = "Let the app delete an exact object version. Baton uses it only to remove the object of an upload whose database transaction rolled back; without it such an orphan stays (unreachable, since no row points at it) until an operator removes it."
  type        = bool
  default     = true
}

variable "attach_to_role" {
  description = "Name of an existing IAM role (the instance or task role of the Baton processes) to attach the access policy to; empty to attach it yourself."
  type        = string
  default     = ""
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a bucket that still holds documents. Keep false in production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
