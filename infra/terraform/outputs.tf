output "bucket" {
  description = "BATON_S3_BUCKET"
  value       = aws_s3_bucket.documents.bucket
}

output "region" {
  description = "BATON_S3_REGION"
  value       = var.region
}

output "kms_key_arn" {
  description = "BATON_S3_KMS_KEY_ID (null with SSE-S3)"
  value       = var.create_kms_key ? aws_kms_key.documents[0].arn : null
}

output "app_policy_arn" {
  description = "Attach to the role or user the Baton web and worker processes run as."
  value       = aws_iam_policy.app.arn
}
